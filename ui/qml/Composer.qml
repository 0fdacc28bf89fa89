import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// The message field: Enter sends, Shift+Enter starts a new line.
Rectangle {
    id: root
    property bool blocked: false
    property alias text: area.text
    property alias field: area
    // True while the view puts a draft in: that is no typing.
    property bool loading: false
    signal sendRequested(string text)
    // The user changed the text (for typing indicators).
    signal typed()

    implicitHeight: Math.min(160, area.implicitHeight + 24)
    color: theme.card
    border.color: theme.border

    function send() {
        if (root.blocked || area.text.trim().length === 0)
            return false
        root.sendRequested(area.text)
        area.text = ""
        return true
    }

    RowLayout {
        anchors.fill: parent
        anchors.margins: 10
        spacing: 10
        ScrollView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            TextArea {
                id: area
                objectName: "composerField"
                placeholderText: root.blocked ? "Sending is blocked until you accept the new key"
                                              : "Write a message\u2026  (Enter sends, Shift+Enter: new line)"
                wrapMode: TextArea.Wrap
                font.pixelSize: 14
                enabled: !root.blocked
                onTextChanged: if (!root.loading && area.text.length > 0) root.typed()
                background: Rectangle {
                    radius: 10
                    color: theme.inset
                    border.color: area.activeFocus ? theme.accent : "transparent"
                }
                Keys.onPressed: function (event) {
                    if (Logic.isSendKey(event.key, event.modifiers)) {
                        event.accepted = true
                        root.send()
                    }
                }
            }
        }
        Button {
            id: sendButton
            objectName: "sendButton"
            text: "Send"
            enabled: !root.blocked && area.text.trim().length > 0
            Layout.alignment: Qt.AlignBottom
            implicitHeight: 40
            implicitWidth: 80
            onClicked: root.send()
            contentItem: Text {
                text: sendButton.text
                color: "white"
                font.pixelSize: 14; font.bold: true
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
            background: Rectangle {
                radius: 10
                color: sendButton.enabled ? (sendButton.down ? theme.accentDark : theme.accent)
                                          : theme.disabled
            }
        }
    }
}
