import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// Who you are, the connection, the tabs and your contacts.
Rectangle {
    id: root
    property var bridge
    property var connection
    property string tab: "chats"
    readonly property alias contactList: contactList
    readonly property alias deleteDialog: deleteConfirm
    signal tabRequested(string tab)
    signal routerInfoRequested()
    color: theme.sidebar

    // Ctrl+N starts a chat, Ctrl+K jumps to one: both type into the field
    // above the list, which shows only the chats that match.
    function focusNewChat(jump) {
        newChat.placeholderText = jump ? "Jump to a chat\u2026 (name, Enter)"
                                       : "Start a chat with\u2026 (username)"
        newChat.forceActiveFocus()
        newChat.selectAll()
    }
    readonly property string filter: newChat.text.trim().toLowerCase()

    // Deleting removes the messages from this computer for good: ask first.
    function confirmDelete(name) {
        deleteConfirm.peer = name
        deleteConfirm.open()
    }

    Popup {
        id: deleteConfirm
        objectName: "deleteConfirm"
        property string peer: ""
        modal: true
        focus: true
        parent: Overlay.overlay
        anchors.centerIn: parent
        width: Math.min(420, parent ? parent.width - 40 : 420)
        padding: 24
        background: Rectangle { radius: 14; color: theme.card }
        onOpened: cancelDelete.forceActiveFocus()
        ColumnLayout {
            anchors.left: parent.left; anchors.right: parent.right
            spacing: 14
            Text {
                objectName: "deleteConfirmText"
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: "Delete the conversation with " + deleteConfirm.peer + "?"
                font.pixelSize: 18; font.bold: true; color: theme.text
            }
            Text {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: "Its messages are deleted from this computer (the app and "
                      + "courier-cli share them); this cannot be undone. "
                      + deleteConfirm.peer + "'s key stays pinned."
                color: theme.muted; font.pixelSize: 13
            }
            RowLayout {
                Layout.alignment: Qt.AlignRight
                spacing: 8
                Button {
                    id: cancelDelete
                    objectName: "deleteCancelButton"
                    text: "Cancel"
                    onClicked: deleteConfirm.close()
                    Keys.onReturnPressed: deleteConfirm.close()
                }
                Button {
                    id: confirmDeleteButton
                    objectName: "deleteConfirmButton"
                    text: "Delete"
                    onClicked: {
                        deleteConfirm.close()
                        root.bridge.deleteConversation(deleteConfirm.peer)
                    }
                    contentItem: Text {
                        text: confirmDeleteButton.text; color: "white"; font.bold: true
                        horizontalAlignment: Text.AlignHCenter
                        verticalAlignment: Text.AlignVCenter
                    }
                    background: Rectangle {
                        radius: 8; implicitHeight: 38; implicitWidth: 110
                        color: confirmDeleteButton.down ? Qt.darker(theme.danger, 1.2) : theme.danger
                    }
                }
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // You and the connection
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 16
            spacing: 12
            Avatar { name: root.bridge ? root.bridge.user : ""; size: 42 }
            Column {
                Layout.fillWidth: true
                spacing: 4
                Text {
                    text: root.bridge ? root.bridge.user : ""
                    color: theme.sidebarText; font.pixelSize: 16; font.bold: true
                    elide: Text.ElideRight; width: parent.width
                }
                Row {
                    spacing: 6
                    width: parent.width
                    StatusDot {
                        id: statusDot
                        anchors.verticalCenter: parent.verticalCenter
                        status: root.bridge ? root.bridge.status : "offline"
                    }
                    // Elided: a long state ("Offline, retrying in 12 s")
                    // ran under the buttons beside it.
                    Text {
                        objectName: "statusText"
                        width: parent.width - statusDot.width - parent.spacing
                        elide: Text.ElideRight
                        text: Logic.statusText(root.bridge ? root.bridge.status : "offline",
                                               root.connection ? root.connection.phase : "",
                                               root.connection ? root.connection.delay : 0)
                        color: theme.sidebarMuted; font.pixelSize: 12
                    }
                }
            }
            ToolButton {
                id: backupButton
                objectName: "backupButton"
                text: "Back up"
                font.pixelSize: 11
                onClicked: backupDialog.open()
                contentItem: Text { text: backupButton.text; color: theme.sidebarMuted
                                    font: backupButton.font
                                    horizontalAlignment: Text.AlignHCenter
                                    verticalAlignment: Text.AlignVCenter }
                background: Rectangle { radius: 6; implicitWidth: 54; implicitHeight: 26
                                        color: backupButton.hovered ? theme.sidebarHover : "transparent"
                                        border.color: theme.sidebarHover }
                ToolTip.visible: hovered
                ToolTip.text: "Back up identity: your key in one file under a passphrase"
                BackupDialog {
                    id: backupDialog
                    objectName: "backupDialog"
                    parent: Overlay.overlay
                    bridge: root.bridge
                }
            }
            ToolButton {
                id: routerButton
                text: "Router"
                font.pixelSize: 11
                onClicked: root.routerInfoRequested()
                contentItem: Text { text: routerButton.text; color: theme.sidebarMuted
                                    font: routerButton.font
                                    horizontalAlignment: Text.AlignHCenter
                                    verticalAlignment: Text.AlignVCenter }
                background: Rectangle { radius: 6; implicitWidth: 54; implicitHeight: 26
                                        color: routerButton.hovered ? theme.sidebarHover : "transparent"
                                        border.color: theme.sidebarHover }
                ToolTip.visible: hovered
                ToolTip.text: "Router " + (root.bridge ? root.bridge.server : "")
                              + "\n" + (root.bridge ? root.bridge.routerFingerprint : "")
            }
        }

        // Tabs
        RowLayout {
            Layout.fillWidth: true
            Layout.leftMargin: 12; Layout.rightMargin: 12
            spacing: 6
            Repeater {
                model: [{ key: "chats", label: "Chats" }, { key: "wallet", label: "Wallet" },
                        { key: "settings", label: "Settings" }]
                delegate: Rectangle {
                    required property var modelData
                    objectName: "tab_" + modelData.key
                    Layout.fillWidth: true
                    implicitHeight: 34
                    radius: 8
                    color: root.tab === modelData.key ? theme.sidebarSelected : "transparent"
                    Row {
                        anchors.centerIn: parent
                        spacing: 6
                        Text {
                            text: modelData.label
                            color: root.tab === modelData.key ? "white" : theme.sidebarMuted
                            font.pixelSize: 13; font.bold: true
                        }
                        Rectangle {
                            readonly property string badge: modelData.key === "chats" && root.bridge
                                ? Logic.unreadBadge(root.bridge.contacts.totalUnread) : ""
                            visible: badge !== ""
                            radius: 8; height: 16; width: Math.max(16, t.implicitWidth + 8)
                            color: theme.accent
                            Text { id: t; anchors.centerIn: parent; text: parent.badge; color: "white"; font.pixelSize: 10; font.bold: true }
                        }
                    }
                    MouseArea { anchors.fill: parent; onClicked: root.tabRequested(modelData.key) }
                }
            }
        }

        // New conversation
        TextField {
            id: newChat
            objectName: "newChatField"
            Layout.fillWidth: true
            Layout.margins: 12
            placeholderText: "Start a chat with\u2026 (username)"
            placeholderTextColor: theme.sidebarMuted
            color: theme.sidebarText
            font.pixelSize: 13
            background: Rectangle { radius: 8; color: theme.sidebarHover }
            onAccepted: {
                var name = text.trim().toLowerCase()
                if (name === "")
                    return
                // Jumping: a partial name opens the first chat that matches.
                var names = root.bridge.contacts.names()
                if (names.indexOf(name) < 0)
                    for (var i = 0; i < names.length; ++i)
                        if (names[i].indexOf(name) >= 0) { name = names[i]; break }
                root.bridge.openConversation(name)
                root.tabRequested("chats")
                text = ""
            }
            Keys.onEscapePressed: { text = ""; focus = false }
        }

        ListView {
            id: contactList
            objectName: "contactList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.bridge ? root.bridge.contacts : null
            ScrollBar.vertical: ScrollBar {}
            delegate: Rectangle {
                id: row
                required property string name
                required property bool online
                required property int unread
                required property string preview
                required property bool keyChanged
                objectName: "contact_" + name
                readonly property string badge: Logic.unreadBadge(unread)
                readonly property bool selected: root.bridge && root.bridge.currentPeer === name
                                                 && root.tab === "chats"
                width: ListView.view.width
                visible: root.filter === "" || row.name.indexOf(root.filter) >= 0
                height: visible ? 62 : 0
                color: selected ? theme.sidebarSelected : hover.hovered ? theme.sidebarHover : "transparent"
                HoverHandler { id: hover }
                RowLayout {
                    anchors.fill: parent
                    anchors.leftMargin: 14; anchors.rightMargin: 14
                    spacing: 12
                    Avatar { name: row.name; size: 40; showPresence: true
                             online: row.online && !!root.bridge && root.bridge.status === "connected"
                             ringColor: row.color.a > 0 ? row.color : theme.sidebar }
                    Column {
                        Layout.fillWidth: true
                        spacing: 3
                        Text {
                            width: parent.width
                            text: row.name + (row.keyChanged ? "  \u26a0" : "")
                            color: theme.sidebarText; font.pixelSize: 14
                            font.bold: row.unread > 0
                            elide: Text.ElideRight
                        }
                        Text {
                            width: parent.width
                            text: row.preview !== "" ? row.preview
                                  : Logic.presenceText(row.online, root.bridge ? root.bridge.status : "")
                            color: theme.sidebarMuted; font.pixelSize: 12
                            elide: Text.ElideRight
                        }
                    }
                    Rectangle {
                        objectName: "unreadBadge"
                        property string text: row.badge
                        visible: row.badge !== ""
                        radius: 10; height: 20; width: Math.max(20, badgeText.implicitWidth + 10)
                        color: theme.accent
                        Text { id: badgeText; anchors.centerIn: parent; text: row.badge
                               color: "white"; font.pixelSize: 11; font.bold: true }
                    }
                }
                MouseArea {
                    anchors.fill: parent
                    acceptedButtons: Qt.LeftButton | Qt.RightButton
                    onClicked: function (mouse) {
                        if (mouse.button === Qt.RightButton) {
                            rowMenu.popup()
                            return
                        }
                        root.bridge.openConversation(row.name)
                        root.tabRequested("chats")
                    }
                }
                Menu {
                    id: rowMenu
                    objectName: "contactMenu"
                    MenuItem {
                        objectName: "deleteConversation"
                        text: "Delete conversation with " + row.name
                        onTriggered: root.confirmDelete(row.name)
                    }
                }
            }
            Text {
                anchors.centerIn: parent
                visible: contactList.count === 0
                width: parent.width - 40
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
                text: "No contacts yet. Type a username above to start a chat."
                color: theme.sidebarMuted; font.pixelSize: 12
            }
        }

        // Your key: readable, and selectable to read it out or paste it.
        Column {
            Layout.fillWidth: true
            Layout.margins: 12
            spacing: 4
            Text {
                text: "Your fingerprint"
                color: theme.sidebarMuted; font.pixelSize: 12
            }
            TextEdit {
                objectName: "myFingerprint"
                width: parent.width
                readOnly: true
                selectByMouse: true
                text: Logic.fingerprintLines(root.bridge ? root.bridge.myFingerprint : "")
                color: theme.sidebarText
                selectionColor: theme.accent
                font.family: "DejaVu Sans Mono"; font.pixelSize: 12
                wrapMode: TextEdit.Wrap
            }
        }
    }
}
