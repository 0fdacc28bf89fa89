import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// A contact's fingerprint, yours next to it, and "mark as verified".
Popup {
    id: root
    property var bridge
    property var contact: ({})
    modal: true
    focus: true // Esc closes it
    anchors.centerIn: Overlay.overlay
    width: Math.min(520, parent ? parent.width - 40 : 520)
    padding: 24
    background: Rectangle { radius: 14; color: theme.card; border.color: theme.border }

    ColumnLayout {
        anchors.left: parent.left; anchors.right: parent.right
        spacing: 12
        Text {
            text: "Keys of " + (root.contact.name || "")
            font.pixelSize: 18; font.bold: true; color: theme.text
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: theme.muted
            text: "Compare this fingerprint with the one " + (root.contact.name || "")
                  + " sees in their own app. If they match, mark the key as verified."
        }
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: fp.implicitHeight + 20
            radius: 8; color: theme.inset
            Text {
                id: fp
                objectName: "contactFingerprint"
                anchors.centerIn: parent
                text: Logic.fingerprintLines(root.contact.fingerprint || "not known yet")
                font.family: "DejaVu Sans Mono"; font.pixelSize: 15
                horizontalAlignment: Text.AlignHCenter
                color: theme.text
            }
        }
        Text {
            text: root.contact.verified ? "\u2713 Verified by you" : "Not verified yet"
            color: root.contact.verified ? theme.good : theme.muted
            font.bold: !!root.contact.verified
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: theme.muted
            font.pixelSize: 12
            text: "Your fingerprint: " + (root.bridge ? root.bridge.myFingerprint : "")
        }
        RowLayout {
            Layout.alignment: Qt.AlignRight
            Button {
                objectName: "verifyButton"
                text: "Mark as verified"
                highlighted: true
                enabled: !!root.contact.fingerprint && !root.contact.verified
                         && !root.contact.keyChanged
                onClicked: root.bridge.verifyContact(root.contact.name)
            }
            Button { text: "Close"; onClicked: root.close() }
        }
    }
}
