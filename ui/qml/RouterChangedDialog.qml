import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// The router presents another key than the one accepted before: show both,
// warn, and accept the new one only once the user says they checked it.
// While it is open the app keeps trying, so if the old key comes back it
// connects (and this closes) by itself.
Popup {
    id: root
    property var bridge
    readonly property bool changed: !!bridge && bridge.routerKeyChanged
    objectName: "routerChangedDialog"
    modal: true
    focus: true
    closePolicy: Popup.NoAutoClose
    anchors.centerIn: Overlay.overlay
    width: Math.min(580, (parent ? parent.width : 620) - 40)
    padding: 26
    background: Rectangle { radius: 16; color: theme.card; border.color: theme.danger; border.width: 2 }

    onChangedChanged: { checked.checked = false; changed ? open() : close() }
    Component.onCompleted: if (changed) open()

    ColumnLayout {
        anchors.left: parent.left; anchors.right: parent.right
        spacing: 12
        Text {
            text: "\u26a0  The router's key changed"
            font.pixelSize: 20; font.bold: true; color: theme.danger
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: theme.text
            text: "The router at " + (root.bridge ? root.bridge.server : "")
                  + " no longer has the key you accepted. Its operator may have replaced it, "
                  + "or someone may be between you and the router. Nothing is sent or received "
                  + "until you decide. Ask the operator for the new fingerprint and compare it."
        }
        Text { text: "Accepted before"; color: theme.muted; font.pixelSize: 12 }
        Text {
            objectName: "oldRouterFingerprint"
            Layout.fillWidth: true
            text: Logic.fingerprintLines(root.bridge ? root.bridge.oldRouterFingerprint : "")
            font.family: "DejaVu Sans Mono"; font.pixelSize: 14
            color: theme.muted; font.strikeout: true
        }
        Text { text: "Presented now"; color: theme.muted; font.pixelSize: 12 }
        Text {
            objectName: "newRouterFingerprint"
            Layout.fillWidth: true
            text: Logic.fingerprintLines(root.bridge ? root.bridge.newRouterFingerprint : "")
            font.family: "DejaVu Sans Mono"; font.pixelSize: 14; font.bold: true
            color: theme.text
        }
        CheckBox {
            id: checked
            objectName: "routerChangeChecked"
            Layout.fillWidth: true
            text: "I compared the new fingerprint with the router's operator"
        }
        RowLayout {
            Layout.alignment: Qt.AlignRight
            spacing: 8
            Button {
                objectName: "routerChangeSignOut"
                text: "Sign out"
                flat: true
                onClicked: root.bridge.signOut()
            }
            Button {
                id: acceptButton
                objectName: "routerChangeAccept"
                text: "Accept the new key"
                enabled: checked.checked
                onClicked: root.bridge.acceptChangedRouterKey()
                contentItem: Text {
                    text: acceptButton.text; color: "white"; font.bold: true
                    horizontalAlignment: Text.AlignHCenter
                    verticalAlignment: Text.AlignVCenter
                }
                background: Rectangle {
                    radius: 8; implicitHeight: 38; implicitWidth: 170
                    color: acceptButton.enabled ? theme.danger : theme.dangerFaint
                }
            }
        }
    }
}
