import QtQuick
import QtTest
import Courier.Models 1.0

// The real C++ models as QML sees them.
TestCase {
    name: "Models"

    MessagesModel { id: msgs }
    ContactsModel { id: contacts }

    function init() { msgs.clear(); contacts.clear() }

    function test_message_states() {
        msgs.setPeer("bob")
        var id = msgs.addOutgoing("bob", "alice", "hi")
        compare(msgs.count, 1)
        compare(msgs.stateOf(id), "sending")
        verify(msgs.setAccepted(id, "m-1"))
        compare(msgs.stateOf(id), "accepted")
        compare(msgs.get(0).msgId, "m-1")
        verify(msgs.setDelivered("m-1"))
        compare(msgs.stateOf(id), "delivered")
        compare(msgs.get(0).msgState, "delivered")
    }

    function test_delivered_before_accepted() {
        var id = msgs.addOutgoing("bob", "alice", "quick")
        verify(!msgs.setDelivered("m-2"))
        msgs.setAccepted(id, "m-2")
        compare(msgs.stateOf(id), "delivered")
    }

    function test_failed_and_retry() {
        var id = msgs.addOutgoing("bob", "alice", "x")
        msgs.setFailed(id, "offline")
        compare(msgs.stateOf(id), "failed")
        msgs.setSending(id)
        compare(msgs.stateOf(id), "sending")
    }

    function test_conversations_are_separate() {
        msgs.setPeer("bob")
        msgs.addOutgoing("carol", "alice", "to carol")
        compare(msgs.count, 0)
        verify(msgs.addIncoming("bob", "from bob", "m-9", Date.now()))
        verify(!msgs.addIncoming("bob", "from bob", "m-9", Date.now()))
        compare(msgs.count, 1)
        compare(msgs.get(0).sender, "bob")
        compare(msgs.get(0).outgoing, false)
        msgs.setPeer("carol")
        compare(msgs.count, 1)
        compare(msgs.get(0).body, "to carol")
    }

    function test_unread_counts() {
        contacts.ensure("bob")
        contacts.bumpUnread("bob")
        contacts.bumpUnread("bob")
        contacts.bumpUnread("carol")
        compare(contacts.unread("bob"), 2)
        compare(contacts.unread("carol"), 1)
        compare(contacts.totalUnread, 3)
        contacts.clearUnread("bob")
        compare(contacts.unread("bob"), 0)
        compare(contacts.totalUnread, 1)
        compare(contacts.count, 2)
        compare(contacts.indexOf("bob"), 0)
    }

    // Payments from the bank's history come oldest first or in any order:
    // the preview keeps the newest item of the conversation.
    function test_preview_shows_the_newest_item() {
        contacts.setPreview("fay", "lunch at noon?", 3000)
        contacts.setPreview("fay", "You paid fay 8.50", 1000)
        compare(contacts.get("fay").preview, "lunch at noon?")
        contacts.setPreview("fay", "fay paid you 20.00", 4000)
        compare(contacts.get("fay").preview, "fay paid you 20.00")
    }

    function test_key_change() {
        contacts.setKey("bob", "ab", false)
        contacts.setKeyChanged("bob", "cd")
        compare(contacts.get("bob").keyChanged, true)
        compare(contacts.get("bob").newFingerprint, "cd")
        contacts.setKey("bob", "cd", true)
        compare(contacts.get("bob").keyChanged, false)
        compare(contacts.get("bob").verified, true)
    }

    function test_day_group_and_unread_roles() {
        var noon = new Date(); noon.setHours(12, 0, 0, 0)
        var t = noon.getTime()
        msgs.addIncoming("bob", "old", "m-1", t - 86400000)
        msgs.addIncoming("bob", "a", "m-2", t)
        msgs.addIncoming("bob", "b", "m-3", t + 60000)
        msgs.addIncoming("bob", "c", "m-4", t + 20 * 60000)
        msgs.setPeer("bob")
        compare(msgs.get(0).day, Qt.formatDate(new Date(t - 86400000), "yyyy-MM-dd"))
        compare(msgs.get(1).day, Qt.formatDate(noon, "yyyy-MM-dd"))
        // Same sender minutes apart: one group; a new day or 20 minutes: not.
        compare(msgs.get(1).grouped, false)
        compare(msgs.get(2).grouped, true)
        compare(msgs.get(3).grouped, false)
        compare(msgs.firstUnreadRow, -1)
        msgs.markUnread(2)
        compare(msgs.firstUnreadRow, 2)
        compare(msgs.get(2).firstUnread, true)
        compare(msgs.get(2).grouped, false) // the divider starts a group
        // A message that comes while the chat is open moves nothing.
        msgs.addIncoming("bob", "d", "m-5", t + 21 * 60000)
        msgs.markUnread(0)
        compare(msgs.firstUnreadRow, 2)
        // Leaving the conversation drops the divider.
        msgs.setPeer("carol")
        msgs.setPeer("bob")
        compare(msgs.firstUnreadRow, -1)
        compare(msgs.get(2).firstUnread, false)
    }
}
