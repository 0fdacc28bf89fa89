import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// Settings kept on this computer: the routers, the look, notifications,
// read receipts and typing, the bank's fingerprint, and who is signed in.
Rectangle {
    id: root
    property var bridge
    readonly property var routers: bridge ? bridge.routers : []
    property string routerError: ""
    /// Someone else signs in next: the app goes back to the chats.
    signal userSwitched()
    /// The wallet page is where the bank's fingerprint is entered.
    signal walletRequested()
    function switchUser(name) {
        root.bridge.switchUser(name)
        root.userSwitched()
    }
    readonly property alias routerField: newRouter
    color: theme.page

    // Every change goes to the bridge at once (it saves the list and
    // connects again); a refused one changes nothing and says why.
    function applyRouters(list) {
        var why = root.bridge.setRouters(list)
        root.routerError = why
        return why === ""
    }
    function addRouter() {
        var text = newRouter.text.trim()
        var why = root.bridge.checkRouter(text)
        if (why === "" && root.routers.indexOf(text) >= 0)
            why = text + " is in the list already."
        if (why !== "") {
            root.routerError = why
            return
        }
        if (root.applyRouters(root.routers.concat([text])))
            newRouter.text = ""
    }
    function removeRouter(i) {
        var list = root.routers.slice()
        list.splice(i, 1)
        root.applyRouters(list)
    }
    function moveRouter(i, step) {
        var j = i + step
        if (j < 0 || j >= root.routers.length)
            return
        var list = root.routers.slice()
        var t = list[i]; list[i] = list[j]; list[j] = t
        root.applyRouters(list)
    }
    // The other identities under the data home, for "switch user".
    property var others: []
    function refreshIdentities() {
        var all = root.bridge && root.bridge.identities ? root.bridge.identities() : []
        root.others = all.filter(function (n) { return n !== root.bridge.user })
    }
    onVisibleChanged: if (visible) { refreshIdentities(); root.routerError = "" }
    Component.onCompleted: refreshIdentities()

    component Card: Rectangle {
        id: card
        default property alias content: body.data
        property string title: ""
        Layout.fillWidth: true
        implicitHeight: body.implicitHeight + 36
        radius: 12
        color: theme.card
        border.color: theme.border
        ColumnLayout {
            id: body
            anchors.left: parent.left; anchors.right: parent.right
            anchors.top: parent.top; anchors.margins: 18
            spacing: 10
            Text {
                text: card.title
                font.pixelSize: 16; font.bold: true; color: theme.text
            }
        }
    }
    component Hint: Text {
        Layout.fillWidth: true
        wrapMode: Text.Wrap
        color: theme.muted; font.pixelSize: 12
    }

    ScrollView {
        id: scroll
        anchors.fill: parent
        contentWidth: availableWidth
        clip: true

        ColumnLayout {
            width: Math.min(640, scroll.availableWidth - 48)
            x: Math.max(24, (scroll.availableWidth - width) / 2)
            spacing: 16

            Text {
                Layout.topMargin: 24
                text: "Settings"
                font.pixelSize: 24; font.bold: true; color: theme.text
            }

            Card {
                objectName: "routersCard"
                title: "Routers"
                Hint {
                    text: "The app connects to the first router that answers, in this "
                          + "order, and to the next when one goes away. Changes apply at once."
                }
                Repeater {
                    objectName: "routerRows"
                    model: root.routers
                    delegate: Rectangle {
                        id: routerRow
                        required property string modelData
                        required property int index
                        objectName: "routerRow"
                        Layout.fillWidth: true
                        implicitHeight: 40
                        radius: 8
                        color: theme.inset
                        RowLayout {
                            anchors.fill: parent
                            anchors.leftMargin: 12; anchors.rightMargin: 6
                            spacing: 4
                            Text {
                                Layout.fillWidth: true
                                text: (routerRow.index + 1) + ".  " + routerRow.modelData
                                color: theme.text; font.pixelSize: 14
                                font.family: "DejaVu Sans Mono"
                                elide: Text.ElideRight
                            }
                            ToolButton {
                                objectName: "routerUp"
                                opacity: enabled ? 1 : 0.35
                                text: "\u2191"
                                enabled: routerRow.index > 0
                                onClicked: root.moveRouter(routerRow.index, -1)
                                ToolTip.visible: hovered; ToolTip.text: "Try it earlier"
                            }
                            ToolButton {
                                objectName: "routerDown"
                                opacity: enabled ? 1 : 0.35
                                text: "\u2193"
                                enabled: routerRow.index < root.routers.length - 1
                                onClicked: root.moveRouter(routerRow.index, 1)
                                ToolTip.visible: hovered; ToolTip.text: "Try it later"
                            }
                            ToolButton {
                                objectName: "routerRemove"
                                opacity: enabled ? 1 : 0.35
                                text: "Remove"
                                // The app needs one router to connect to.
                                enabled: root.routers.length > 1
                                onClicked: root.removeRouter(routerRow.index)
                            }
                        }
                    }
                }
                RowLayout {
                    Layout.fillWidth: true
                    spacing: 8
                    TextField {
                        id: newRouter
                        objectName: "newRouterField"
                        Layout.fillWidth: true
                        placeholderText: "Add a router: HOST:PORT"
                        color: theme.text
                        onTextChanged: root.routerError = ""
                        onAccepted: root.addRouter()
                    }
                    Button {
                        objectName: "addRouterButton"
                        text: "Add"
                        highlighted: true
                        enabled: newRouter.text.trim() !== ""
                        onClicked: root.addRouter()
                    }
                }
                Text {
                    objectName: "routerError"
                    Layout.fillWidth: true
                    visible: root.routerError !== ""
                    text: root.routerError
                    wrapMode: Text.Wrap
                    color: theme.danger; font.pixelSize: 13
                }
            }

            Card {
                objectName: "appearanceCard"
                title: "Appearance"
                RowLayout {
                    spacing: 16
                    Repeater {
                        model: [{ key: "light", label: "Light" }, { key: "dark", label: "Dark" },
                                { key: "system", label: "As the system" }]
                        RadioButton {
                            required property var modelData
                            objectName: "theme_" + modelData.key
                            text: modelData.label
                            checked: !!root.bridge && root.bridge.themeMode === modelData.key
                            onToggled: if (checked) root.bridge.themeMode = modelData.key
                            contentItem: Text {
                                leftPadding: parent.indicator.width + parent.spacing
                                text: parent.text; color: theme.text; font.pixelSize: 14
                                verticalAlignment: Text.AlignVCenter
                            }
                        }
                    }
                }
            }

            Card {
                objectName: "notificationsCard"
                title: "Notifications and privacy"
                Repeater {
                    // Each is saved at once by the bridge (courier-chat.ini).
                    model: [
                        { key: "notifications", prop: "notificationsEnabled",
                          label: "Desktop notifications",
                          hint: "Show a message or a payment that comes while Courier's "
                                + "window is not active, in the screen's top right corner." },
                        { key: "readReceipts", prop: "readReceiptsEnabled",
                          label: "Read receipts",
                          hint: "Tell people when you have read their messages, and see "
                                + "when they read yours. Off: you send none and see none." },
                        { key: "typing", prop: "typingEnabled",
                          label: "Typing indicators",
                          hint: "Show people when you are typing to them, and see when "
                                + "they type to you. Off: you send none and see none." }
                    ]
                    RowLayout {
                        required property var modelData
                        Layout.fillWidth: true
                        spacing: 12
                        ColumnLayout {
                            Layout.fillWidth: true
                            spacing: 2
                            Text {
                                text: modelData.label
                                color: theme.text; font.pixelSize: 14
                            }
                            Hint { text: modelData.hint }
                        }
                        Switch {
                            objectName: modelData.key + "Switch"
                            checked: !!root.bridge && root.bridge[modelData.prop]
                            onToggled: root.bridge[modelData.prop] = checked
                        }
                    }
                }
            }

            Card {
                id: bankCard
                objectName: "bankCard"
                title: "Bank"
                readonly property string fingerprint: root.bridge ? root.bridge.bankFingerprint : ""
                Hint {
                    objectName: "bankFingerprintHint"
                    text: bankCard.fingerprint !== ""
                          ? "The wallet talks only to the bank with this key fingerprint "
                            + "(compare it with the one the bank's operator gives you):"
                          : "Not set yet: the wallet sends nothing to the bank until you "
                            + "enter the fingerprint its operator gives you, on the wallet page. "
                            + "The bank's key never comes from a router."
                }
                TextEdit {
                    objectName: "bankFingerprintText"
                    Layout.fillWidth: true
                    visible: text !== ""
                    readOnly: true
                    selectByMouse: true
                    text: Logic.groupFingerprint(bankCard.fingerprint)
                    color: theme.text
                    selectionColor: theme.accent
                    font.family: "DejaVu Sans Mono"; font.pixelSize: 13
                    wrapMode: TextEdit.Wrap
                }
                Button {
                    objectName: "bankFingerprintChange"
                    text: bankCard.fingerprint !== "" ? "Change in the wallet…"
                                                           : "Enter it in the wallet…"
                    onClicked: root.walletRequested()
                }
            }

            Card {
                objectName: "accountCard"
                title: "Account"
                Hint {
                    text: "Signed in as " + (root.bridge ? root.bridge.user : "")
                          + ". Another identity on this computer signs in with its own "
                          + "passphrase; nothing of this one is shown meanwhile."
                }
                Flow {
                    Layout.fillWidth: true
                    spacing: 8
                    Repeater {
                        model: root.others
                        Button {
                            required property string modelData
                            objectName: "switchTo_" + modelData
                            text: "Switch to " + modelData
                            onClicked: root.switchUser(modelData)
                        }
                    }
                    Button {
                        objectName: "newIdentityButton"
                        text: "New identity\u2026"
                        onClicked: root.switchUser("")
                    }
                    Button {
                        objectName: "signOutButton"
                        text: "Sign out"
                        onClicked: root.switchUser(root.bridge.user)
                    }
                }
            }
            Item { Layout.preferredHeight: 8 }
        }
    }
}
