import QtQuick
import QtQuick.Controls
import "logic.js" as Logic

// One message: right and blue when it is ours, left and white otherwise.
Item {
    id: root
    required property int index
    required property string body
    required property string time
    required property string sender
    required property bool outgoing
    required property string msgState
    required property string localId
    required property string error
    required property bool isEvent
    required property string detail
    required property bool grouped     // same sender, minutes after the last
    required property bool firstUnread // the "New messages" divider is above
    property real maxWidth: 400
    signal retryRequested(string localId)

    objectName: "bubble"
    width: ListView.view ? ListView.view.width : 400
    implicitHeight: root.isEvent ? eventBox.y + eventBox.height + 6
                                 : box.y + box.height + (root.grouped ? 1 : 6)

    // Above the first message that came since the chat was last open.
    Item {
        id: divider
        objectName: "newMessagesDivider"
        visible: root.firstUnread
        width: root.width
        height: visible ? 32 : 0
        Rectangle {
            anchors.left: parent.left; anchors.right: parent.right
            anchors.leftMargin: 16; anchors.rightMargin: 16
            anchors.verticalCenter: parent.verticalCenter
            height: 1
            color: theme.danger
        }
        Rectangle {
            anchors.centerIn: parent
            width: dividerText.implicitWidth + 20; height: 20; radius: 10
            color: theme.page
            Text {
                id: dividerText
                anchors.centerIn: parent
                text: "New messages"
                color: theme.danger; font.pixelSize: 12; font.bold: true
            }
        }
    }

    // The sender's name, once per group of bubbles.
    Text {
        id: senderName
        objectName: "senderName"
        visible: !root.isEvent && !root.outgoing && !root.grouped
        readonly property real space: visible ? implicitHeight : 0
        x: 30; y: divider.height + 6
        text: root.sender
        color: theme.muted
        font.pixelSize: 12; font.bold: true
    }

    // A payment (or another event): centred, not a speech bubble; the
    // bank's receipt is behind it.
    Rectangle {
        id: eventBox
        objectName: "eventBox"
        visible: root.isEvent
        anchors.horizontalCenter: parent.horizontalCenter
        y: divider.height + 6
        width: Math.min(root.width - 40, eventText.implicitWidth + 32)
        height: eventText.implicitHeight + 14
        radius: height / 2
        color: theme.goodBg
        border.color: theme.goodBorder
        Text {
            id: eventText
            objectName: "eventText"
            anchors.centerIn: parent
            width: Math.min(implicitWidth, root.width - 72)
            elide: Text.ElideRight
            text: root.body + "  \u00b7  " + root.time
            color: theme.goodText; font.pixelSize: 13; font.bold: true
        }
        MouseArea {
            id: eventHover
            anchors.fill: parent
            hoverEnabled: true
            ToolTip.visible: containsMouse && root.detail !== ""
            ToolTip.text: root.detail
        }
    }

    Rectangle {
        id: box
        objectName: "bubbleBox"
        visible: !root.isEvent
        anchors.right: root.outgoing ? parent.right : undefined
        anchors.left: root.outgoing ? undefined : parent.left
        anchors.rightMargin: 16; anchors.leftMargin: 16
        y: senderName.visible ? senderName.y + senderName.space + 2
                              : divider.height + (root.grouped ? 1 : 4)
        width: Math.max(Math.min(root.maxWidth, measure.implicitWidth + 32),
                        meta.implicitWidth + 28,
                        root.msgState === "failed" && root.error !== "" ? root.maxWidth : 0)
        height: bodyText.height + meta.height
                + (failReason.visible ? failReason.implicitHeight + 2 : 0) + 22
        radius: 16
        color: root.msgState === "failed" ? theme.dangerBg
             : root.outgoing ? theme.outgoing : theme.incoming
        border.color: root.msgState === "failed" ? theme.danger
                    : root.outgoing ? theme.outgoing : theme.border
        border.width: 1

        // Measures the text as written; the view below shows it selectable.
        Text {
            id: measure
            visible: false
            text: root.body
            textFormat: Text.PlainText
            font.pixelSize: 14
        }
        TextEdit {
            id: bodyText
            objectName: "bodyText"
            x: 14; y: 9
            width: Math.min(root.maxWidth - 28, measure.implicitWidth + 4)
            readOnly: true
            selectByMouse: true
            persistentSelection: true
            text: Logic.linkify(root.body, root.outgoing && root.msgState !== "failed"
                                           ? "#ffffff" : theme.accent)
            wrapMode: TextEdit.Wrap
            textFormat: TextEdit.RichText
            color: root.outgoing && root.msgState !== "failed" ? "white" : theme.text
            selectionColor: root.outgoing ? "#1e3fa8" : theme.selection
            selectedTextColor: root.outgoing ? "white" : theme.text
            font.pixelSize: 14
            onLinkActivated: function (link) { Qt.openUrlExternally(link) }
            HoverHandler {
                cursorShape: bodyText.hoveredLink !== "" ? Qt.PointingHandCursor : Qt.IBeamCursor
            }
            // Copies the selection, or the whole message if nothing is selected.
            function copyText() {
                if (bodyText.selectedText === "") {
                    bodyText.selectAll()
                    bodyText.copy()
                    bodyText.deselect()
                } else {
                    bodyText.copy()
                }
            }
        }
        Text {
            id: meta
            objectName: "metaText"
            anchors.right: parent.right; anchors.rightMargin: 14
            anchors.top: bodyText.bottom; anchors.topMargin: 4
            text: root.time
                  + (root.outgoing ? "  " + Logic.stateLabel(root.msgState) : "")
            color: root.msgState === "failed" ? theme.danger
                 : root.outgoing ? "#dbe5ff" : theme.muted
            font.pixelSize: 11
        }
        // Why it failed, in the bubble (not only in a tooltip).
        Text {
            id: failReason
            objectName: "failReason"
            visible: root.msgState === "failed" && root.error !== ""
            anchors.left: parent.left; anchors.leftMargin: 14
            anchors.right: parent.right; anchors.rightMargin: 14
            anchors.top: meta.bottom; anchors.topMargin: 2
            text: "Not sent: " + root.error
            wrapMode: Text.Wrap
            color: theme.danger; font.pixelSize: 12
        }
        MouseArea {
            objectName: "bubbleMenuArea"
            anchors.fill: parent
            acceptedButtons: Qt.RightButton
            onClicked: messageMenu.popup()
        }
        Menu {
            id: messageMenu
            objectName: "messageMenu"
            MenuItem {
                objectName: "copyItem"
                text: bodyText.selectedText !== "" ? "Copy selection" : "Copy message"
                onTriggered: bodyText.copyText()
            }
            MenuItem {
                text: "Select all"
                onTriggered: bodyText.selectAll()
            }
        }
        MouseArea {
            anchors.fill: parent
            enabled: root.msgState === "failed"
            cursorShape: enabled ? Qt.PointingHandCursor : Qt.ArrowCursor
            onClicked: root.retryRequested(root.localId)
            objectName: "retryArea"
            ToolTip.visible: enabled && containsMouse
            ToolTip.text: root.error
            hoverEnabled: true
        }
    }
}
