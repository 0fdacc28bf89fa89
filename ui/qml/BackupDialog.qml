import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// "Back up identity" (signed in) and "Restore from backup" (setup page):
// one file under a passphrase, through the bridge. The bridge does the
// slow key derivation off the GUI thread and says how it went.
Dialog {
    id: root
    property var bridge
    property bool restoring: false
    property string outcome: ""
    property bool failed: false
    signal restored(string user, string fingerprint)
    modal: true
    anchors.centerIn: parent
    width: Math.min(440, (parent ? parent.width : 440) - 40)
    title: restoring ? "Restore from backup" : "Back up identity"
    onOpened: { outcome = ""; failed = false; passA.text = ""; passB.text = ""; passC.text = ""; file.forceActiveFocus() }

    Connections {
        target: root.bridge
        function onBackupWritten(ok, message) {
            root.failed = !ok
            root.outcome = message
        }
        function onIdentityRestored(ok, user, message) {
            root.failed = !ok
            if (!ok) {
                root.outcome = message
                return
            }
            root.outcome = ""
            root.restored(user, message)
            root.close()
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8
        Text {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: theme.muted
            text: root.restoring
                  ? "Brings your name and key back on this computer. It starts as a new device: contacts start new conversations with it."
                  : "Writes your identity key to one file under a passphrase. Keep the file and the passphrase apart: whoever has both is you."
        }
        TextField {
            id: file
            objectName: "backupFileField"
            Layout.fillWidth: true
            placeholderText: "Backup file (full path)"
        }
        TextField {
            id: passA
            objectName: "backupPassField"
            Layout.fillWidth: true
            placeholderText: "Backup passphrase"
            echoMode: TextInput.Password
        }
        TextField {
            id: passB
            objectName: "backupPass2Field"
            Layout.fillWidth: true
            placeholderText: root.restoring ? "New passphrase for your key" : "Backup passphrase again"
            echoMode: TextInput.Password
        }
        TextField {
            id: passC
            objectName: "backupPass3Field"
            visible: root.restoring
            Layout.fillWidth: true
            placeholderText: "New passphrase again"
            echoMode: TextInput.Password
        }
        Text {
            objectName: "backupResult"
            Layout.fillWidth: true
            visible: text !== ""
            wrapMode: Text.Wrap
            color: root.failed ? theme.danger : theme.good
            text: root.outcome
        }
        Button {
            id: act
            objectName: "backupGo"
            Layout.fillWidth: true
            enabled: !(root.bridge && root.bridge.busy) && file.text.trim() !== ""
            text: root.restoring ? "Restore" : "Write backup"
            onClicked: {
                root.outcome = ""
                root.failed = true
                if (root.restoring) {
                    if (passB.text !== passC.text) { root.outcome = "The two passphrases differ."; return }
                    if (Logic.passphraseStrength(passB.text).score < 1) {
                        root.outcome = "Choose a passphrase of at least 8 characters."
                        return
                    }
                    root.bridge.restoreIdentity(file.text.trim(), passA.text, passB.text)
                } else {
                    if (passA.text !== passB.text) { root.outcome = "The two passphrases differ."; return }
                    if (Logic.passphraseStrength(passA.text).score < 1) {
                        root.outcome = "Choose a passphrase of at least 8 characters."
                        return
                    }
                    root.bridge.backupIdentity(file.text.trim(), passA.text)
                }
            }
        }
    }
}
