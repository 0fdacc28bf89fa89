import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// A warning from the app, as a strip above the conversation: it never
// covers a message, and it belongs to the chat it was said in (opening
// another chat dismisses it).
Rectangle {
    id: root
    property var bridge
    objectName: "noticeBar"
    visible: !!bridge && bridge.notice !== ""
    implicitHeight: visible ? noticeText.implicitHeight + 16 : 0
    color: "#323846"

    Connections {
        target: root.bridge
        function onCurrentPeerChanged() { if (root.bridge.notice !== "") root.bridge.dismissNotice() }
    }
    Timer { running: root.visible; interval: 10000; onTriggered: root.bridge.dismissNotice() }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 16; anchors.rightMargin: 8
        Text {
            id: noticeText
            objectName: "noticeText"
            Layout.fillWidth: true
            text: root.bridge ? root.bridge.notice : ""
            color: "white"; font.pixelSize: 13
            wrapMode: Text.Wrap
        }
        ToolButton {
            objectName: "noticeClose"
            text: "\u2715"
            onClicked: root.bridge.dismissNotice()
            contentItem: Text { text: "\u2715"; color: "#c8cdd8"; horizontalAlignment: Text.AlignHCenter
                                verticalAlignment: Text.AlignVCenter }
            background: Item { implicitWidth: 28; implicitHeight: 28 }
        }
    }
}
