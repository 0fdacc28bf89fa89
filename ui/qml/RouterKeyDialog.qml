import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// The router's key: on first connection it must be accepted before
// anything is sent or received. The dialog keeps the keyboard: Enter
// accepts, Esc disconnects. Opened by hand it only shows the key.
Popup {
    id: root
    property var bridge
    readonly property bool pending: !!bridge && bridge.signedIn
                                    && bridge.routerFingerprint !== "" && !bridge.routerAccepted
    objectName: "routerKeyDialog"
    modal: true
    focus: true
    closePolicy: pending ? Popup.NoAutoClose : Popup.CloseOnEscape | Popup.CloseOnPressOutside
    anchors.centerIn: Overlay.overlay
    width: Math.min(540, (parent ? parent.width : 580) - 40)
    padding: 26
    background: Rectangle { radius: 16; color: theme.card }

    onPendingChanged: pending ? open() : close()
    Component.onCompleted: if (pending) open()
    onOpened: keys.forceActiveFocus()
    // Nothing behind the dialog gets the keyboard while it must be answered.
    onActiveFocusChanged: if (pending && visible && !activeFocus) keys.forceActiveFocus()

    function accept() {
        if (root.pending)
            root.bridge.acceptRouterFingerprint()
        root.close()
    }
    function refuse() {
        if (root.pending)
            root.bridge.signOut()
        root.close()
    }

    contentItem: FocusScope {
        id: keys
        focus: true
        implicitHeight: column.implicitHeight
        Keys.onReturnPressed: root.accept()
        Keys.onEnterPressed: root.accept()
        Keys.onEscapePressed: root.refuse()

        ColumnLayout {
            id: column
            anchors.left: parent.left; anchors.right: parent.right
            spacing: 12
            Text {
                text: root.pending ? "New router key" : "Router key"
                font.pixelSize: 20; font.bold: true; color: theme.text
            }
            Text {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: theme.muted
                text: "You are connected to the router at " + (root.bridge ? root.bridge.server : "")
                      + ". Compare its fingerprint with the one its operator published. "
                      + (root.pending ? "Nothing is sent or received until you accept it. " : "")
                      + "It is pinned: if it ever changes, Courier will warn you before it connects."
            }
            Rectangle {
                Layout.fillWidth: true
                implicitHeight: rfp.implicitHeight + 24
                radius: 10; color: theme.inset
                Text {
                    id: rfp
                    objectName: "routerFingerprintText"
                    anchors.centerIn: parent
                    text: Logic.fingerprintLines(root.bridge ? root.bridge.routerFingerprint : "")
                    font.family: "DejaVu Sans Mono"; font.pixelSize: 16; font.bold: true
                    horizontalAlignment: Text.AlignHCenter
                    color: theme.text
                }
            }
            RowLayout {
                Layout.alignment: Qt.AlignRight
                Button {
                    objectName: "routerRefuseButton"
                    text: root.pending ? "Disconnect (Esc)" : "Close"
                    flat: true
                    focusPolicy: Qt.NoFocus
                    onClicked: root.refuse()
                }
                Button {
                    objectName: "routerAcceptButton"
                    visible: root.pending
                    text: "Accept (Enter)"
                    highlighted: true
                    focusPolicy: Qt.NoFocus
                    onClicked: root.accept()
                }
            }
        }
    }
}
