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
    color: theme.page
    // Day separators say "Today" and "Yesterday": they follow the clock.
    property date today: new Date()
    Timer {
        interval: 60000; repeat: true; running: root.visible
        onTriggered: root.today = new Date()
    }

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
            font.pixelSize: 56; color: theme.faint
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: "Pick a contact, or start a new chat from the sidebar."
            color: theme.muted; font.pixelSize: 15
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: "Every message is sealed end to end; the router cannot read it."
            color: theme.muted; font.pixelSize: 12
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
            color: theme.card
            border.color: theme.border
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 18; anchors.rightMargin: 14
                spacing: 12
                Avatar {
                    name: root.peer; size: 38
                    showPresence: true; online: !!root.contact.online && root.connected
                    ringColor: theme.card
                }
                Column {
                    Layout.fillWidth: true
                    spacing: 2
                    Text {
                        objectName: "peerName"
                        text: root.peer
                        font.pixelSize: 17; font.bold: true; color: theme.text
                    }
                    Text {
                        objectName: "presenceText"
                        visible: !root.peerTyping
                        text: Logic.presenceText(!!root.contact.online, root.bridge ? root.bridge.status : "")
                        color: text === "online" ? theme.good : theme.muted
                        font.pixelSize: 12
                    }
                    Text {
                        objectName: "typingLine"
                        visible: root.peerTyping
                        text: Logic.typingText(root.peer)
                        color: theme.accent
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
                                        color: theme.muted
                                        horizontalAlignment: Text.AlignHCenter
                                        verticalAlignment: Text.AlignVCenter }
                    background: Rectangle { radius: 12; implicitHeight: 26; implicitWidth: 70
                                            color: searchButton.hovered || root.searching
                                                   ? theme.chipHover : theme.chip }
                    ToolTip.visible: hovered
                    ToolTip.text: "Search messages (Ctrl+F)"
                }
                Rectangle {
                    radius: 12
                    implicitHeight: 26
                    implicitWidth: keyLabel.implicitWidth + 22
                    color: root.contact.keyChanged ? theme.dangerBg
                         : root.contact.verified ? theme.goodBg : theme.chip
                    Text {
                        id: keyLabel
                        anchors.centerIn: parent
                        text: root.contact.keyChanged ? "\u26a0 key changed"
                            : root.contact.verified ? "\u2713 verified" : "not verified"
                        color: root.contact.keyChanged ? theme.danger
                             : root.contact.verified ? theme.good : theme.muted
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
                    color: root.contact.forwardSecret ? theme.goodBg : theme.warnBg
                    Text {
                        id: secrecyLabel
                        anchors.centerIn: parent
                        text: root.contact.forwardSecret ? "forward secret"
                                                         : "not forward secret"
                        color: root.contact.forwardSecret ? theme.good : theme.muted
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
            color: theme.card
            border.color: theme.border
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
                color: theme.muted; font.pixelSize: 12
            }
            delegate: Rectangle {
                id: hit
                required property var modelData
                objectName: "searchHit"
                width: searchList.width
                height: hitColumn.implicitHeight + 16
                color: hitHover.hovered ? theme.hover : "transparent"
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
                        color: theme.muted; font.pixelSize: 12
                    }
                    Text {
                        width: parent.width
                        text: hit.modelData.body
                        textFormat: Text.PlainText
                        wrapMode: Text.Wrap
                        maximumLineCount: 3
                        elide: Text.ElideRight
                        color: theme.text; font.pixelSize: 14
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
            // One separator above the first message of each day.
            section.property: "day"
            section.criteria: ViewSection.FullString
            section.delegate: Item {
                id: daySep
                required property string section
                objectName: "daySeparator"
                readonly property string label: Logic.dayLabel(section, root.today)
                width: messageList.width
                height: 40
                Rectangle {
                    anchors.centerIn: parent
                    width: dayText.implicitWidth + 24; height: 24; radius: 12
                    color: theme.card; border.color: theme.border
                    Text {
                        id: dayText
                        anchors.centerIn: parent
                        text: daySep.label
                        color: theme.muted; font.pixelSize: 12; font.bold: true
                    }
                }
            }
            // Opening a chat (or its history arriving) shows the first
            // unread message under the divider, else the newest; messages
            // that come later scroll into view.
            function showStart() {
                var row = model ? model.firstUnreadRow : -1
                if (row >= 0)
                    positionViewAtIndex(row, ListView.Beginning)
                else
                    positionViewAtEnd()
            }
            Connections {
                target: root.bridge ? root.bridge.messages : null
                function onModelReset() { Qt.callLater(messageList.showStart) }
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
