import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// Shown in a conversation whose contact's key changed: sending stays
// blocked until the user accepts the new key.
Rectangle {
    id: root
    property var contact: ({})
    readonly property string mode: Logic.bannerState(contact)
    signal acceptRequested()
    signal showKeysRequested()

    objectName: "keyBanner"
    visible: mode === "changed"
    color: theme.warnBg
    border.color: theme.warnBorder
    radius: 10
    implicitHeight: visible ? column.implicitHeight + 24 : 0

    ColumnLayout {
        id: column
        anchors.fill: parent
        anchors.margins: 12
        spacing: 6
        Text {
            Layout.fillWidth: true
            text: "\u26a0  " + (root.contact.name || "") + "'s key has changed"
            font.bold: true; font.pixelSize: 14
            color: theme.warnText
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: theme.text
            font.pixelSize: 13
            text: "Messages to " + (root.contact.name || "") + " are blocked. The router now "
                  + "has a different key for them. Compare this fingerprint with theirs "
                  + "(in person or on a call) before you accept it:"
        }
        Text {
            objectName: "newFingerprint"
            Layout.fillWidth: true
            text: Logic.fingerprintLines(root.contact.newFingerprint || "(unknown)")
            font.family: "DejaVu Sans Mono"; font.pixelSize: 13
            color: theme.text
        }
        RowLayout {
            spacing: 8
            Button {
                objectName: "acceptKeyButton"
                text: "Accept new key"
                onClicked: root.acceptRequested()
            }
            Button {
                text: "Show keys"
                flat: true
                onClicked: root.showKeysRequested()
            }
        }
    }
}
