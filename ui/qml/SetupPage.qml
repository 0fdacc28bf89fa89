import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// First run and sign-in: create an identity or open one, choose the router.
Rectangle {
    id: root
    property var bridge
    // Nobody has an identity here yet: the first thing to do is make one.
    property var known: bridge && bridge.identities ? bridge.identities() : []
    property bool creating: known.length === 0
    // Signed out (or "switch user" in the settings): the identities again,
    // the chosen name, and no passphrase left in a field.
    function restart() {
        root.known = root.bridge.identities()
        var name = root.bridge.user
        user.text = name
        pass.text = ""; pass2.text = ""
        root.localError = ""; root.createdFingerprint = ""
        root.creating = name === "" ? true : root.known.indexOf(name) < 0
        tabs.currentIndex = root.creating ? 1 : 0
        if (root.creating && name === "") user.forceActiveFocus()
        else pass.forceActiveFocus()
    }
    readonly property alias card: card
    property string localError: ""
    property string createdFingerprint: ""
    property bool restoredIdentity: false
    color: theme.sidebar

    Connections {
        target: root.bridge
        function onSignedInChanged() { if (!root.bridge.signedIn) root.restart() }
        function onIdentityCreated(ok, message) {
            if (!ok) {
                root.localError = message
                return
            }
            root.createdFingerprint = message
            root.bridge.signIn(user.text, pass.text) // the bridge normalises it
        }
    }

    BackupDialog {
        id: restoreDialog
        objectName: "restoreDialog"
        bridge: root.bridge
        restoring: true
        // Restored: sign in with the new passphrase, as after creating.
        onRestored: function(name, fingerprint) {
            tabs.currentIndex = 0
            user.text = name
            root.createdFingerprint = fingerprint
            root.restoredIdentity = true
            pass.forceActiveFocus()
        }
    }

    Rectangle {
        id: card
        objectName: "setupCard"
        // A fixed top: the card grows downwards as fields appear instead of
        // re-centring, so nothing moves under the pointer.
        anchors.horizontalCenter: parent.horizontalCenter
        y: Math.max(16, Math.round(parent.height / 2 - 290))
        width: Math.min(460, parent.width - 40)
        height: form.implicitHeight + 56
        radius: 18
        color: theme.card

        ColumnLayout {
            id: form
            anchors.left: parent.left; anchors.right: parent.right
            anchors.top: parent.top; anchors.margins: 28
            spacing: 10

            Text { text: "Courier"; font.pixelSize: 28; font.bold: true; color: theme.text }
            Text {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: "End-to-end encrypted messages and payments."
                color: theme.muted
            }
            TabBar {
                id: tabs
                objectName: "setupTabs"
                Layout.fillWidth: true
                currentIndex: root.creating ? 1 : 0
                onCurrentIndexChanged: { root.creating = currentIndex === 1; root.localError = "" }
                background: Rectangle { color: "transparent" }
                Repeater {
                    model: ["Sign in", "Create identity"]
                    TabButton {
                        id: tabButton
                        required property string modelData
                        required property int index
                        objectName: "tab_" + index
                        text: modelData
                        // Only the current tab looks selected: dark, bold,
                        // underlined; the other is muted on a plain ground.
                        contentItem: Text {
                            text: tabButton.text
                            font.pixelSize: 14; font.bold: tabButton.checked
                            color: tabButton.checked ? theme.text : theme.muted
                            horizontalAlignment: Text.AlignHCenter
                            verticalAlignment: Text.AlignVCenter
                        }
                        background: Rectangle {
                            implicitHeight: 40
                            color: tabButton.hovered && !tabButton.checked ? theme.page : "transparent"
                            Rectangle {
                                anchors.bottom: parent.bottom
                                width: parent.width
                                height: tabButton.checked ? 3 : 1
                                color: tabButton.checked ? theme.accent : theme.border
                            }
                        }
                    }
                }
            }
            TextField {
                id: user
                objectName: "userField"
                Layout.fillWidth: true
                placeholderText: "Username (a-z 0-9 _ . -)"
                text: root.bridge && root.bridge.user !== "" ? root.bridge.user
                      : (root.known.length === 1 ? root.known[0] : "")
                onTextChanged: root.localError = ""
                onAccepted: pass.forceActiveFocus()
            }
            TextField {
                id: pass
                objectName: "passField"
                Layout.fillWidth: true
                placeholderText: "Passphrase"
                echoMode: TextInput.Password
                // Creating, Enter goes on to the second field; it never
                // submits a half-filled form.
                onAccepted: root.creating ? pass2.forceActiveFocus() : go.clicked()
            }
            TextField {
                id: pass2
                objectName: "pass2Field"
                visible: root.creating
                Layout.fillWidth: true
                placeholderText: "Passphrase again"
                echoMode: TextInput.Password
                onAccepted: go.clicked()
            }
            RowLayout {
                visible: root.creating && pass.text !== ""
                Layout.fillWidth: true
                readonly property var strength: Logic.passphraseStrength(pass.text)
                Repeater {
                    model: 4
                    Rectangle {
                        required property int index
                        Layout.fillWidth: true
                        height: 5; radius: 2
                        color: index < parent.strength.score
                               ? ["#e5484d", "#f5a524", "#9bc53d", "#17a34a"][parent.strength.score - 1]
                               : theme.chip
                    }
                }
                Text { text: parent.strength.label; color: theme.muted; font.pixelSize: 12 }
            }
            Text { text: "Router"; color: theme.muted; font.pixelSize: 12 }
            TextField {
                id: server
                objectName: "serverField"
                Layout.fillWidth: true
                text: root.bridge ? root.bridge.server : "127.0.0.1:7400"
                placeholderText: "HOST:PORT"
            }
            Text {
                objectName: "errorText"
                Layout.fillWidth: true
                visible: text !== ""
                wrapMode: Text.Wrap
                color: theme.danger
                text: root.localError !== "" ? root.localError : (root.bridge ? root.bridge.error : "")
            }
            Text {
                Layout.fillWidth: true
                visible: root.createdFingerprint !== ""
                wrapMode: Text.Wrap
                color: theme.good
                font.family: "DejaVu Sans Mono"; font.pixelSize: 11
                text: "Identity " + (root.restoredIdentity ? "restored; sign in with your new passphrase" : "created")
                      + ". Your fingerprint:\n" + Logic.fingerprintLines(root.createdFingerprint)
            }
            Button {
                id: go
                objectName: "goButton"
                Layout.fillWidth: true
                enabled: !(root.bridge && root.bridge.busy)
                text: root.bridge && root.bridge.busy
                      ? (root.creating ? "Creating your key\u2026" : "Signing in\u2026")
                      : (root.creating ? "Create identity" : "Sign in")
                onClicked: {
                    root.localError = ""
                    var name = user.text.trim().toLowerCase()
                    root.bridge.server = server.text.trim()
                    if (root.creating) {
                        if (pass.text !== pass2.text) {
                            root.localError = "The two passphrases differ."
                            return
                        }
                        if (Logic.passphraseStrength(pass.text).score < 1) {
                            root.localError = "Choose a passphrase of at least 8 characters."
                            return
                        }
                        root.bridge.createIdentity(name, pass.text)
                    } else {
                        root.bridge.signIn(name, pass.text)
                    }
                }
                contentItem: Text {
                    text: go.text; color: "white"; font.bold: true
                    horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
                }
                background: Rectangle { radius: 8; implicitHeight: 40
                                        color: go.enabled ? theme.accent : theme.disabled }
            }
            Button {
                id: restoreButton
                objectName: "restoreButton"
                Layout.alignment: Qt.AlignHCenter
                flat: true
                text: "Restore from backup\u2026"
                onClicked: restoreDialog.open()
            }
            BusyIndicator {
                Layout.alignment: Qt.AlignHCenter
                running: root.bridge ? root.bridge.busy : false
                visible: running
            }
        }
    }
}
