import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// The open conversation: header, key banner, bubbles, composer.
Rectangle {
    id: root
    property var bridge
    readonly property string peer: bridge ? bridge.currentPeer : ""
    property var contact: ({})
    readonly property alias list: messageList
    readonly property alias composer: composer
    readonly property alias banner: banner
    color: Logic.page

    function refreshContact() {
        root.contact = root.bridge && root.peer !== "" ? root.bridge.contact(root.peer) : ({})
    }
    // One draft per conversation: what was typed for one peer never goes
    // to another.
    property var drafts: ({})
    property string draftPeer: ""
    function switchDraft() {
        if (root.draftPeer !== "")
            root.drafts[root.draftPeer] = composer.text
        composer.text = root.drafts[root.peer] || ""
        composer.field.cursorPosition = composer.text.length
        root.draftPeer = root.peer
        // Typing goes to the chat that just opened.
        if (root.peer !== "")
            composer.field.forceActiveFocus()
    }
    readonly property bool connected: !!bridge && bridge.status === "connected"
    onPeerChanged: { refreshContact(); switchDraft() }
    // Back from the wallet to the open chat: typing goes to it again.
    onVisibleChanged: if (visible && root.peer !== "") composer.field.forceActiveFocus()
    Component.onCompleted: refreshContact()
    Connections {
        target: root.bridge ? root.bridge.contacts : null
        function onDataChanged() { root.refreshContact() }
        function onRowsInserted() { root.refreshContact() }
        function onModelReset() { root.refreshContact() }
    }

    // Nobody chosen yet.
    Column {
        anchors.centerIn: parent
        visible: root.peer === ""
        spacing: 10
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: "\u2709"
            font.pixelSize: 56; color: "#c3cad8"
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: "Pick a contact, or start a new chat from the sidebar."
            color: Logic.muted; font.pixelSize: 15
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: "Every message is sealed end to end; the router cannot read it."
            color: Logic.muted; font.pixelSize: 12
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        visible: root.peer !== ""

        // Header
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 64
            color: Logic.card
            border.color: Logic.border
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 18; anchors.rightMargin: 14
                spacing: 12
                Avatar {
                    name: root.peer; size: 38
                    showPresence: true; online: !!root.contact.online && root.connected
                    ringColor: Logic.card
                }
                Column {
                    Layout.fillWidth: true
                    spacing: 2
                    Text {
                        objectName: "peerName"
                        text: root.peer
                        font.pixelSize: 17; font.bold: true; color: Logic.text
                    }
                    Text {
                        objectName: "presenceText"
                        text: Logic.presenceText(!!root.contact.online, root.bridge ? root.bridge.status : "")
                        color: text === "online" ? Logic.good : Logic.muted
                        font.pixelSize: 12
                    }
                }
                Rectangle {
                    radius: 12
                    implicitHeight: 26
                    implicitWidth: keyLabel.implicitWidth + 22
                    color: root.contact.keyChanged ? "#fde8e8"
                         : root.contact.verified ? "#e3f6ea" : "#eef1f6"
                    Text {
                        id: keyLabel
                        anchors.centerIn: parent
                        text: root.contact.keyChanged ? "\u26a0 key changed"
                            : root.contact.verified ? "\u2713 verified" : "not verified"
                        color: root.contact.keyChanged ? Logic.danger
                             : root.contact.verified ? Logic.good : Logic.muted
                        font.pixelSize: 12
                    }
                    MouseArea {
                        anchors.fill: parent
                        cursorShape: Qt.PointingHandCursor
                        onClicked: keys.open()
                    }
                }
                Rectangle {
                    // Letters v3 (a ratchet session) or v1, which a later
                    // theft of either side's keys would open.
                    objectName: "secrecyBadge"
                    radius: 12
                    implicitHeight: 26
                    implicitWidth: secrecyLabel.implicitWidth + 22
                    color: root.contact.forwardSecret ? "#e3f6ea" : "#fff4e0"
                    Text {
                        id: secrecyLabel
                        anchors.centerIn: parent
                        text: root.contact.forwardSecret ? "forward secret"
                                                         : "not forward secret"
                        color: root.contact.forwardSecret ? Logic.good : Logic.muted
                        font.pixelSize: 12
                    }
                }
            }
        }

        KeyBanner {
            id: banner
            Layout.fillWidth: true
            Layout.margins: banner.visible ? 12 : 0
            contact: root.contact
            onAcceptRequested: root.bridge.acceptNewKey(root.peer)
            onShowKeysRequested: keys.open()
        }

        ListView {
            id: messageList
            objectName: "messageList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 2
            topMargin: 12; bottomMargin: 12
            model: root.bridge ? root.bridge.messages : null
            delegate: Bubble {
                maxWidth: Math.max(220, messageList.width * 0.68)
                onRetryRequested: function (id) { root.bridge.retry(id) }
            }
            onCountChanged: Qt.callLater(positionViewAtEnd)
            ScrollBar.vertical: ScrollBar {}
        }

        Composer {
            id: composer
            Layout.fillWidth: true
            blocked: Logic.bannerState(root.contact) === "changed"
            onSendRequested: function (text) { root.bridge.sendMessage(text) }
        }
    }

    ContactKeysDialog {
        id: keys
        bridge: root.bridge
        contact: root.contact
    }
}
