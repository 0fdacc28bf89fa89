import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Window
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
    readonly property alias searchField: searchField
    readonly property alias searchList: searchList
    readonly property alias keysDialog: keys
    color: Logic.page

    // Search: the local history of this chat, or of all chats (the only
    // choice while no chat is open). Typing waits a moment, then asks.
    property bool searching: false
    property bool searchAll: false
    readonly property bool showingResults: searching && searchField.text.trim() !== ""
    function openSearch() {
        if (root.peer === "")
            root.searchAll = true
        root.searching = true
        searchField.forceActiveFocus()
        searchField.selectAll()
        if (searchField.text.trim() !== "")
            searchDelay.restart()
    }
    function closeSearch() {
        root.searching = false
        searchField.text = ""
        if (root.bridge)
            root.bridge.search("", false)
        if (root.peer !== "")
            composer.field.forceActiveFocus()
    }
    function openResult(peer) {
        root.closeSearch()
        if (root.bridge && peer !== root.peer)
            root.bridge.openConversation(peer)
    }
    Timer {
        id: searchDelay
        interval: 200
        onTriggered: if (root.bridge) root.bridge.search(searchField.text, root.searchAll)
    }
    onSearchAllChanged: if (searching) searchDelay.restart()

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
        composer.loading = true
        composer.text = root.drafts[root.peer] || ""
        composer.loading = false
        composer.field.cursorPosition = composer.text.length
        root.draftPeer = root.peer
        // Typing goes to the chat that just opened.
        if (root.peer !== "")
            composer.field.forceActiveFocus()
    }
    readonly property bool connected: !!bridge && bridge.status === "connected"

    // Read receipts: the chat is in front of the user (the window is
    // active and the chat shown), so what came is read; the bridge says so
    // to the sender if it is on.
    property bool windowActive: Window.active
    readonly property bool seeing: visible && windowActive && peer !== ""
                                   && !showingResults
    function markSeen() {
        if (root.seeing && root.bridge)
            root.bridge.markRead(root.peer)
    }
    onSeeingChanged: markSeen()

    // Typing: one indicator every 3 s at most while the user types, and
    // the peer's shown for `typingTimeout` ms after their last one or
    // until their message comes.
    property var typingSent: ({})
    property var typingSince: ({})
    property int typingRevision: 0
    property int typingTimeout: 5000
    readonly property bool peerTyping: typingRevision >= 0 && peer !== ""
                                       && typingSince[peer] !== undefined
    function noteTyping() {
        var now = Date.now()
        if (!root.bridge || root.peer === ""
                || !Logic.typingDue(root.typingSent[root.peer], now))
            return
        root.typingSent[root.peer] = now
        root.bridge.sendTyping(root.peer)
    }
    function dropTyping(who) {
        if (root.typingSince[who] === undefined)
            return
        delete root.typingSince[who]
        root.typingRevision += 1
    }
    Timer {
        id: typingExpiry
        interval: root.typingTimeout
        onTriggered: {
            var now = Date.now(), left = 0
            for (var who in root.typingSince) {
                var age = now - root.typingSince[who]
                if (age >= root.typingTimeout - 20)
                    root.dropTyping(who)
                else
                    left = Math.max(left, root.typingTimeout - age)
            }
            if (left > 0) { interval = left; start() }
        }
    }
    Connections {
        target: root.bridge
        ignoreUnknownSignals: true
        function onTypingArrived(who) {
            root.typingSince[who] = Date.now()
            root.typingRevision += 1
            typingExpiry.interval = root.typingTimeout
            typingExpiry.restart()
        }
        function onMessageArrived(who, body) { root.dropTyping(who) }
    }

    onPeerChanged: {
        refreshContact(); switchDraft(); markSeen()
        if (root.searching && searchField.text.trim() !== "")
            searchDelay.restart()
    }
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
        visible: root.peer === "" && !root.searching
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
        visible: root.peer !== "" || root.searching

        // Header
        Rectangle {
            Layout.fillWidth: true
            visible: root.peer !== ""
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
                        visible: !root.peerTyping
                        text: Logic.presenceText(!!root.contact.online, root.bridge ? root.bridge.status : "")
                        color: text === "online" ? Logic.good : Logic.muted
                        font.pixelSize: 12
                    }
                    Text {
                        objectName: "typingLine"
                        visible: root.peerTyping
                        text: Logic.typingText(root.peer)
                        color: Logic.accent
                        font.pixelSize: 12; font.italic: true
                    }
                }
                ToolButton {
                    id: searchButton
                    objectName: "searchButton"
                    text: "Search"
                    font.pixelSize: 12
                    onClicked: root.searching ? root.closeSearch() : root.openSearch()
                    contentItem: Text { text: searchButton.text; font: searchButton.font
                                        color: Logic.muted
                                        horizontalAlignment: Text.AlignHCenter
                                        verticalAlignment: Text.AlignVCenter }
                    background: Rectangle { radius: 12; implicitHeight: 26; implicitWidth: 70
                                            color: searchButton.hovered || root.searching
                                                   ? "#e3e8f2" : "#eef1f6" }
                    ToolTip.visible: hovered
                    ToolTip.text: "Search messages (Ctrl+F)"
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

        // Search bar
        Rectangle {
            Layout.fillWidth: true
            visible: root.searching
            implicitHeight: 52
            color: Logic.card
            border.color: Logic.border
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 14; anchors.rightMargin: 10
                spacing: 10
                TextField {
                    id: searchField
                    objectName: "searchField"
                    Layout.fillWidth: true
                    placeholderText: root.searchAll || root.peer === ""
                                     ? "Search all chats\u2026"
                                     : "Search the chat with " + root.peer + "\u2026"
                    font.pixelSize: 14
                    onTextChanged: searchDelay.restart()
                    Keys.onEscapePressed: root.closeSearch()
                    Keys.onReturnPressed: if (searchList.count > 0)
                                              root.openResult(root.bridge.searchResults[0].peer)
                }
                CheckBox {
                    objectName: "searchAllChats"
                    text: "All chats"
                    checked: root.searchAll || root.peer === ""
                    enabled: root.peer !== ""
                    onToggled: root.searchAll = checked
                }
                ToolButton {
                    objectName: "closeSearch"
                    text: "\u2715"
                    onClicked: root.closeSearch()
                    ToolTip.visible: hovered
                    ToolTip.text: "Close search (Esc)"
                }
            }
        }

        ListView {
            id: searchList
            objectName: "searchResults"
            visible: root.showingResults
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 2
            topMargin: 8; bottomMargin: 8
            model: root.showingResults && root.bridge ? root.bridge.searchResults : []
            ScrollBar.vertical: ScrollBar {}
            header: Text {
                width: searchList.width
                leftPadding: 18; topPadding: 4; bottomPadding: 8
                text: searchList.count === 0 ? "No messages match."
                      : searchList.count + (searchList.count === 1 ? " message" : " messages")
                        + (searchList.count >= 100 ? " (the newest 100)" : "")
                color: Logic.muted; font.pixelSize: 12
            }
            delegate: Rectangle {
                id: hit
                required property var modelData
                objectName: "searchHit"
                width: searchList.width
                height: hitColumn.implicitHeight + 16
                color: hitHover.hovered ? "#e8edf7" : "transparent"
                HoverHandler { id: hitHover }
                Column {
                    id: hitColumn
                    x: 18; y: 8
                    width: parent.width - 36
                    spacing: 2
                    Text {
                        text: (root.searchAll || root.peer === ""
                               ? (hit.modelData.outgoing ? "You to " + hit.modelData.peer
                                                         : hit.modelData.peer)
                               : (hit.modelData.outgoing ? "You" : hit.modelData.sender))
                              + "  \u00b7  " + hit.modelData.time
                        color: Logic.muted; font.pixelSize: 12
                    }
                    Text {
                        width: parent.width
                        text: hit.modelData.body
                        textFormat: Text.PlainText
                        wrapMode: Text.Wrap
                        maximumLineCount: 3
                        elide: Text.ElideRight
                        color: Logic.text; font.pixelSize: 14
                    }
                }
                MouseArea {
                    anchors.fill: parent
                    cursorShape: Qt.PointingHandCursor
                    onClicked: root.openResult(hit.modelData.peer)
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
            visible: !root.showingResults && root.peer !== ""
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
            onCountChanged: { Qt.callLater(positionViewAtEnd); Qt.callLater(root.markSeen) }
            ScrollBar.vertical: ScrollBar {}
        }

        Composer {
            id: composer
            visible: root.peer !== ""
            Layout.fillWidth: true
            blocked: Logic.bannerState(root.contact) === "changed"
            onSendRequested: function (text) { root.bridge.sendMessage(text) }
            onTyped: root.noteTyping()
        }
    }

    ContactKeysDialog {
        id: keys
        bridge: root.bridge
        contact: root.contact
    }
}
