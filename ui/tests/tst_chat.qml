import QtQuick
import QtTest
import "../qml"
import "../qml/logic.js" as Logic

// Sending, states, retry, Enter/Shift+Enter and the key-change banner in
// the real ChatView.
Item {
    id: top
    width: 800; height: 600

    FakeBridge { id: fake }
    ChatView { id: view; anchors.fill: parent; bridge: fake }
    TextEdit { id: pasteTarget; visible: false }

    TestCase {
        name: "Chat"
        when: windowShown

        function init() {
            view.windowActive = true
            view.typingSince = ({}); view.typingSent = ({}); view.typingTimeout = 5000
            view.drafts = ({})
            view.draftPeer = ""
            findChild(view, "composerField").text = ""
            fake.reset()
            fake.openConversation("bob")
        }

        function bubbleFor(localId) {
            var items = view.list.contentItem.children
            for (var i = 0; i < items.length; ++i)
                if (items[i].objectName === "bubble" && items[i].localId === localId)
                    return items[i]
            return null
        }

        function typeAndSend(text) {
            var field = findChild(view, "composerField")
            field.forceActiveFocus()
            field.text = text
            field.cursorPosition = text.length
            keyClick(Qt.Key_Return)
            return field
        }

        function test_send_shows_sending_then_accepted() {
            var field = typeAndSend("hello bob")
            compare(field.text, "")
            compare(fake.messages.count, 1)
            var id = fake.lastSent
            verify(id !== "")
            var b = null
            tryVerify(function () { b = bubbleFor(id); return b !== null })
            compare(b.msgState, "sending")
            compare(b.outgoing, true)
            compare(b.body, "hello bob")
            var meta = findChild(b, "metaText")
            verify(meta.text.indexOf("sending") >= 0, meta.text)
            // Right-aligned: the bubble ends at the right edge.
            var box = findChild(b, "bubbleBox")
            verify(box.x + box.width > view.list.width / 2)
            fake.messages.setAccepted(id, "m-1")
            tryCompare(b, "msgState", "accepted")
            verify(meta.text.indexOf("sent") >= 0, meta.text)
            fake.messages.setDelivered("m-1")
            tryCompare(b, "msgState", "delivered")
            verify(meta.text.indexOf("delivered") >= 0, meta.text)
        }

        function test_incoming_on_the_left() {
            fake.messages.addIncoming("bob", "hi alice", "m-5", Date.now())
            var b = null
            tryVerify(function () {
                var items = view.list.contentItem.children
                for (var i = 0; i < items.length; ++i)
                    if (items[i].objectName === "bubble" && items[i].body === "hi alice")
                        b = items[i]
                return b !== null
            })
            compare(b.outgoing, false)
            var box = findChild(b, "bubbleBox")
            verify(box.x < view.list.width / 2)
        }

        function test_one_draft_per_conversation() {
            var field = findChild(view, "composerField")
            field.forceActiveFocus()
            field.text = "for bob only"
            fake.openConversation("carol")
            compare(field.text, "")
            field.forceActiveFocus()
            keyClick(Qt.Key_Return)
            compare(fake.messages.count, 0) // nothing went to carol
            field.text = "for carol"
            fake.openConversation("bob")
            compare(field.text, "for bob only")
            fake.openConversation("carol")
            compare(field.text, "for carol")
        }

        function test_payment_is_an_event_in_the_conversation() {
            fake.messages.addIncoming("bob", "lunch?", "m-9", Date.now() - 1000)
            fake.messages.addEvent("bob", "bob paid you 12.34", "pay-t1", Date.now(),
                                   "Receipt signed by the bank: transfer t1")
            var e = null
            tryVerify(function () {
                var items = view.list.contentItem.children
                for (var i = 0; i < items.length; ++i)
                    if (items[i].objectName === "bubble" && items[i].isEvent)
                        e = items[i]
                return e !== null
            })
            verify(findChild(e, "eventBox").visible)
            verify(!findChild(e, "bubbleBox").visible)
            verify(findChild(e, "eventText").text.indexOf("bob paid you 12.34") === 0)
            // The same payment seen again in the bank's history is not doubled.
            verify(!fake.messages.addEvent("bob", "bob paid you 12.34", "pay-t1", Date.now()))
            compare(fake.messages.count, 2)
        }

        // Visible items called `name` in the list: rows, or parts of rows.
        function itemsNamed(name) {
            var out = [], items = view.list.contentItem.children
            for (var i = 0; i < items.length; ++i) {
                var parts = [items[i]].concat(Array.from(items[i].children))
                for (var j = 0; j < parts.length; ++j)
                    if (parts[j].objectName === name && parts[j].visible && items[i].visible)
                        out.push(parts[j])
            }
            return out
        }

        function test_day_separators_between_days() {
            var noon = new Date(); noon.setHours(12, 0, 0, 0)
            var day = 86400000
            fake.messages.addIncoming("bob", "three days ago", "m-d3", noon.getTime() - 3 * day)
            fake.messages.addIncoming("bob", "ten days ago", "m-d10", noon.getTime() - 10 * day)
            fake.messages.addIncoming("bob", "yesterday", "m-d1", noon.getTime() - day)
            fake.messages.addIncoming("bob", "now", "m-d0", Date.now())
            fake.openConversation("carol"); fake.openConversation("bob")
            var labels = []
            tryVerify(function () {
                labels = itemsNamed("daySeparator").map(function (s) { return s.label })
                return labels.length === 4
            }, 3000, "four day separators")
            var weekday = Qt.locale().dayName(new Date(noon.getTime() - 3 * day).getDay(),
                                              Locale.LongFormat)
            verify(labels.indexOf("Today") >= 0, labels)
            verify(labels.indexOf("Yesterday") >= 0, labels)
            verify(labels.indexOf(weekday) >= 0, labels)
            verify(labels.indexOf(new Date(noon.getTime() - 10 * day)
                                  .toLocaleDateString(Qt.locale(), Locale.LongFormat)) >= 0, labels)
            // One separator per day: a second message today adds none.
            fake.messages.addIncoming("bob", "again", "m-d0b", Date.now())
            wait(50)
            compare(itemsNamed("daySeparator").length, 4)
        }

        function test_new_messages_divider_above_the_first_unread() {
            fake.messages.addIncoming("bob", "read before", "m-u1", Date.now() - 5000)
            fake.openConversation("carol")
            // Two come while another chat is open: unread.
            fake.messages.addIncoming("bob", "first unread", "m-u2", Date.now() - 2000)
            fake.contacts.bumpUnread("bob")
            fake.messages.addIncoming("bob", "second unread", "m-u3", Date.now() - 1000)
            fake.contacts.bumpUnread("bob")
            fake.openConversation("bob")
            var dividers = []
            tryVerify(function () { dividers = itemsNamed("newMessagesDivider"); return dividers.length === 1 })
            compare(dividers[0].parent.body, "first unread")
            // The first unread message is in view when the chat opens.
            var b = dividers[0].parent
            verify(b.y + b.height > view.list.contentY
                   && b.y < view.list.contentY + view.list.height)
            // A message that comes while the chat is open does not move it.
            fake.messages.addIncoming("bob", "while open", "m-u4", Date.now())
            wait(50)
            dividers = itemsNamed("newMessagesDivider")
            compare(dividers.length, 1)
            compare(dividers[0].parent.body, "first unread")
            // Left and opened again: everything is read, no divider.
            fake.openConversation("carol"); fake.openConversation("bob")
            wait(50)
            compare(itemsNamed("newMessagesDivider").length, 0)
        }

        function test_one_name_per_group_of_bubbles() {
            // Yesterday at noon: the group never spans midnight, whose day
            // divider would split it (it did when the test ran at 00:30).
            var midnight = new Date()
            midnight.setHours(0, 0, 0, 0)
            var t = midnight.getTime() - 12 * 3600000
            fake.messages.addIncoming("bob", "g1", "m-g1", t)
            fake.messages.addIncoming("bob", "g2", "m-g2", t + 30000)
            fake.messages.addIncoming("bob", "g3", "m-g3", t + 60000)
            fake.messages.addIncoming("bob", "later", "m-g4", t + 20 * 60000)
            var names = []
            tryVerify(function () {
                names = itemsNamed("senderName").map(function (n) { return n.parent.body })
                return itemsNamed("bubble").length === 4
            })
            names = itemsNamed("senderName").map(function (n) { return n.parent.body })
            compare(names.sort(), ["g1", "later"])
            // A grouped bubble sits closer to the one before.
            var bubbles = itemsNamed("bubble").sort(function (a, b) { return a.y - b.y })
            verify(bubbles[1].grouped && bubbles[2].grouped && !bubbles[3].grouped)
            verify(findChild(bubbles[1], "bubbleBox").y < findChild(bubbles[0], "bubbleBox").y)
        }

        function incoming(body) {
            fake.messages.addIncoming("bob", body, "m-" + body.length, Date.now())
            var b = null
            tryVerify(function () {
                var items = view.list.contentItem.children
                for (var i = 0; i < items.length; ++i)
                    if (items[i].objectName === "bubble" && items[i].body === body)
                        b = items[i]
                return b !== null
            })
            return b
        }

        function test_composer_has_focus_when_a_chat_opens() {
            fake.openConversation("carol")
            tryCompare(findChild(view, "composerField"), "activeFocus", true)
            keyClick(Qt.Key_H)
            compare(findChild(view, "composerField").text, "h")
            // The wallet was in front, then the same chat again.
            view.visible = false
            top.forceActiveFocus()
            view.visible = true
            tryCompare(findChild(view, "composerField"), "activeFocus", true)
        }

        function test_message_text_can_be_selected_and_copied() {
            var b = incoming("copy me, <b>not bold</b>")
            var t = findChild(b, "bodyText")
            verify(t.readOnly)
            verify(t.selectByMouse)
            compare(t.getText(0, t.length), "copy me, <b>not bold</b>")
            waitForRendering(view)
            mouseClick(findChild(b, "bubbleBox"), 10, 10, Qt.RightButton)
            tryCompare(findChild(b, "messageMenu"), "opened", true)
            mouseClick(findChild(b, "copyItem"))
            pasteTarget.text = ""
            pasteTarget.paste()
            compare(pasteTarget.text, "copy me, <b>not bold</b>")
        }

        function test_links_are_clickable() {
            var b = incoming("see https://example.org/a?b=1&c=2.")
            var t = findChild(b, "bodyText")
            verify(t.text.indexOf('href="https://example.org/a?b=1&amp;c=2"') > 0, t.text)
            verify(t.linkAt !== undefined)
        }

        function test_presence_is_not_online_while_disconnected() {
            fake.contacts.setOnline(["bob"])
            var p = findChild(view, "presenceText")
            compare(p.text, "online")
            fake.status = "offline"
            compare(p.text, "offline")
        }

        function test_failed_reason_is_visible() {
            typeAndSend("will fail")
            var id = fake.lastSent
            fake.messages.setFailed(id, "the router did not answer in time")
            var b = null
            tryVerify(function () { b = bubbleFor(id); return b !== null && b.msgState === "failed" })
            var why = findChild(b, "failReason")
            verify(why.visible)
            verify(why.text.indexOf("the router did not answer in time") >= 0)
            verify(why.height > 0)
            var box = findChild(b, "bubbleBox")
            verify(why.y + why.height <= box.height)
        }

        function test_shift_enter_is_a_new_line() {
            var field = findChild(view, "composerField")
            field.forceActiveFocus()
            field.text = "line one"
            field.cursorPosition = field.text.length
            keyClick(Qt.Key_Return, Qt.ShiftModifier)
            compare(fake.messages.count, 0)
            verify(field.text.indexOf("\n") > 0)
            keyClick(Qt.Key_Return)
            compare(fake.messages.count, 1)
        }

        function test_failed_message_can_be_retried() {
            typeAndSend("will fail")
            var id = fake.lastSent
            fake.messages.setFailed(id, "the router did not answer in time")
            var b = null
            tryVerify(function () { b = bubbleFor(id); return b !== null && b.msgState === "failed" })
            verify(findChild(b, "metaText").text.indexOf("retry") >= 0)
            mouseClick(findChild(b, "bubbleBox"))
            compare(fake.retried, [id])
            compare(fake.messages.stateOf(id), "sending")
        }

        function test_key_change_banner_blocks_sending() {
            var banner = findChild(view, "keyBanner")
            verify(!banner.visible)
            fake.contacts.setKey("bob", "1111 2222 3333 4444 5555 6666 7777 8888 9999 aaaa bbbb cccc dddd eeee ffff 0000", true)
            fake.contacts.setKeyChanged("bob", "abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd")
            tryCompare(banner, "visible", true)
            verify(findChild(banner, "newFingerprint").text.indexOf("abcd abcd") === 0)
            verify(view.composer.blocked)
            verify(!findChild(view, "sendButton").enabled)
            var field = findChild(view, "composerField")
            field.text = "blocked?"
            keyClick(Qt.Key_Return)
            compare(fake.messages.count, 0)
            var accept = findChild(banner, "acceptKeyButton")
            tryVerify(function () { return accept.width > 0 && banner.height > accept.height })
            waitForRendering(view)
            mouseClick(accept)
            compare(fake.acceptedKeyOf, "bob")
            // The bridge accepted it: the banner goes away, sending works.
            fake.contacts.setKey("bob", "abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd", true)
            tryCompare(banner, "visible", false)
            verify(!view.composer.blocked)
            typeAndSend("now it goes")
            compare(fake.messages.count, 1)
        }

        // Search: the field filters by what the client's database finds;
        // Esc closes it and typing goes to the composer again.
        function test_search_shows_matches_and_esc_closes() {
            fake.searchable = [{ peer: "bob", body: "Lunch at noon?" },
                               { peer: "carol", body: "lunch with carol" },
                               { peer: "bob", body: "100% sure", outgoing: true },
                               { peer: "bob", body: "no LUNCH today" }]
            view.openSearch()
            verify(view.searchField.activeFocus)
            verify(!findChild(view, "searchAllChats").checked)
            keyClick(Qt.Key_L); keyClick(Qt.Key_U); keyClick(Qt.Key_N)
            tryCompare(view.searchList, "count", 2)
            verify(view.searchList.visible)
            verify(!view.list.visible)
            compare(fake.searches[fake.searches.length - 1].text, "lun")
            compare(fake.searches[fake.searches.length - 1].everywhere, false)
            compare(fake.searchResults[0].body, "no LUNCH today")
            // All chats, then a click opens the other conversation.
            mouseClick(findChild(view, "searchAllChats"))
            tryCompare(view.searchList, "count", 3)
            var hit = null
            tryVerify(function () {
                var items = view.searchList.contentItem.children
                for (var i = 0; i < items.length; ++i)
                    if (items[i].objectName === "searchHit" && items[i].modelData.peer === "carol")
                        hit = items[i]
                return hit !== null
            })
            mouseClick(hit)
            compare(fake.currentPeer, "carol")
            verify(!view.searching)
            // Esc in the field closes the search.
            view.openSearch()
            keyClick(Qt.Key_X)
            keyClick(Qt.Key_Escape)
            verify(!view.searching)
            compare(view.searchField.text, "")
            verify(view.list.visible)
            tryVerify(function () { return findChild(view, "composerField").activeFocus })
        }

        function test_esc_closes_the_keys_dialog() {
            findChild(view, "composerField").forceActiveFocus()
            view.keysDialog.open()
            tryCompare(view.keysDialog, "opened", true)
            keyClick(Qt.Key_Escape)
            tryCompare(view.keysDialog, "visible", false)
        }

        function test_read_receipt_shows_read_after_delivered() {
            typeAndSend("did you read this?")
            var id = fake.lastSent
            fake.messages.setAccepted(id, "m-1")
            typeAndSend("and this?")
            var second = fake.lastSent
            fake.messages.setAccepted(second, "m-2")
            fake.messages.setDelivered("m-1")
            var b = null
            tryVerify(function () { b = bubbleFor(id); return b !== null })
            tryCompare(b, "msgState", "delivered")
            // Receipts for unknown ids, or naming bob's message in another
            // chat, change nothing.
            compare(fake.messages.setReadUpTo("bob", "m-404"), 0)
            compare(fake.messages.setReadUpTo("carol", "m-1"), 0)
            compare(b.msgState, "delivered")
            // bob read up to m-1: that one is read, the later one is not.
            compare(fake.messages.setReadUpTo("bob", "m-1"), 1)
            tryCompare(b, "msgState", "read")
            var meta = findChild(b, "metaText")
            verify(meta.text.indexOf("\u2713\u2713 read") >= 0, meta.text)
            compare(fake.messages.stateOf(second), "accepted")
            // A late delivery notice does not undo it.
            fake.messages.setDelivered("m-1")
            compare(b.msgState, "read")
            // With read receipts off, others' read state is not shown.
            fake.messages.setShowRead(false)
            tryCompare(b, "msgState", "delivered")
            fake.messages.setShowRead(true)
            tryCompare(b, "msgState", "read")
        }

        function test_a_read_receipt_goes_only_while_the_chat_is_seen() {
            view.windowActive = false
            fake.markedRead = []
            fake.messages.addIncoming("bob", "are you there?", "m-7", Date.now())
            wait(50)
            compare(fake.markedRead.length, 0)
            view.windowActive = true
            tryVerify(function () { return fake.markedRead.length === 1 }, 2000, "read receipts asked for")
            compare(fake.markedRead[0], "bob")
            // A message to the open chat, window active: read at once.
            fake.messages.addIncoming("bob", "hello?", "m-8", Date.now())
            tryVerify(function () { return fake.markedRead.length === 2 }, 2000, "read receipts asked for")
            // The search hides the chat: not seen.
            view.openSearch()
            findChild(view, "searchField").text = "x"
            fake.messages.addIncoming("bob", "third", "m-9", Date.now())
            wait(50)
            compare(fake.markedRead.length, 2)
            view.closeSearch()
            tryVerify(function () { return fake.markedRead.length === 3 }, 2000, "read receipts asked for")
        }

        function test_typing_line_shows_and_goes() {
            var line = findChild(view, "typingLine")
            var presence = findChild(view, "presenceText")
            verify(!line.visible)
            fake.typingArrived("carol") // another chat
            wait(20)
            verify(!line.visible)
            fake.typingArrived("bob")
            tryCompare(line, "visible", true)
            compare(line.text, "bob is typing\u2026")
            verify(!presence.visible)
            // Their message ends it.
            fake.messageArrived("bob", "here I am")
            tryCompare(line, "visible", false)
            verify(presence.visible)
            // ... and so does silence.
            view.typingTimeout = 200
            fake.typingArrived("bob")
            tryCompare(line, "visible", true)
            tryCompare(line, "visible", false, 2000)
        }

        function test_typing_goes_at_most_every_three_seconds() {
            var field = findChild(view, "composerField")
            field.forceActiveFocus()
            keyClick(Qt.Key_H); keyClick(Qt.Key_E); keyClick(Qt.Key_Y)
            compare(fake.typingTo.length, 1)
            compare(fake.typingTo[0], "bob")
            // A draft put back when switching chats is no typing.
            fake.openConversation("carol")
            fake.openConversation("bob")
            compare(fake.typingTo.length, 1)
            compare(field.text, "hey")
            // Sending clears the field: no typing either.
            keyClick(Qt.Key_Return)
            compare(fake.typingTo.length, 1)
            verify(Logic.typingDue(0, 1000))
            verify(!Logic.typingDue(1000, 3999))
            verify(Logic.typingDue(1000, 4000))
        }
    }
}
