import QtQuick
import QtQuick.Window
import "logic.js" as Logic

// Desktop notifications that need no notification daemon: a message or a
// payment that comes while the app's window is not active shows in a small
// window on top, in the screen's corner, for a few seconds, and the app's
// window asks for attention. A click opens the chat. Off in the sidebar's
// switch.
Item {
    id: root
    property var bridge
    property var appWindow
    readonly property alias toast: toast
    property string peer: ""
    property string body: ""
    property int more: 0 ///< further messages while this one showed

    function notify(peer, body) {
        if (!root.bridge || !root.bridge.notificationsEnabled || !root.appWindow
                || root.appWindow.active)
            return
        root.more = toast.visible ? root.more + 1 : 0
        root.peer = peer
        root.body = Logic.notificationText(body)
        toast.show()
        hideTimer.restart()
        if (typeof root.appWindow.alert === "function")
            root.appWindow.alert(0)
    }

    function openChat() {
        toast.hide()
        if (typeof root.appWindow.raise === "function") {
            root.appWindow.raise()
            root.appWindow.requestActivate()
        }
        root.bridge.openConversation(root.peer)
    }

    Connections {
        target: root.bridge
        function onMessageArrived(peer, body) { root.notify(peer, body) }
        function onPaymentArrived(peer, text) { root.notify(peer, text) }
    }
    Connections {
        target: root.appWindow
        function onActiveChanged() { if (root.appWindow.active) toast.hide() }
    }
    Timer { id: hideTimer; interval: 6000; onTriggered: toast.hide() }

    Window {
        id: toast
        objectName: "notificationToast"
        // A tool tip window: on top, no focus taken, no window manager needed.
        flags: Qt.ToolTip | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint
               | Qt.WindowDoesNotAcceptFocus
        width: 340
        height: content.implicitHeight + 28
        x: Screen.desktopAvailableWidth - width - 16
        y: 16
        // Square and opaque: without a compositor, transparency shows black.
        color: theme.sidebar
        Rectangle {
            anchors.fill: parent
            color: theme.sidebar
            border.color: theme.sidebarHover
            Column {
                id: content
                x: 16; y: 14
                width: parent.width - 32
                spacing: 4
                Text {
                    objectName: "notificationTitle"
                    width: parent.width
                    text: root.peer + (root.more > 0 ? "  (+" + root.more + " more)" : "")
                    color: theme.sidebarText; font.pixelSize: 14; font.bold: true
                    elide: Text.ElideRight
                }
                Text {
                    objectName: "notificationBody"
                    width: parent.width
                    text: root.body
                    textFormat: Text.PlainText
                    color: theme.sidebarMuted; font.pixelSize: 13
                    wrapMode: Text.Wrap; maximumLineCount: 3; elide: Text.ElideRight
                }
            }
            MouseArea {
                objectName: "notificationArea"
                anchors.fill: parent
                onClicked: root.openChat()
            }
        }
    }
}
