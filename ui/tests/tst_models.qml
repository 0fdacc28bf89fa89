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

    function test_key_change() {
        contacts.setKey("bob", "ab", false)
        contacts.setKeyChanged("bob", "cd")
        compare(contacts.get("bob").keyChanged, true)
        compare(contacts.get("bob").newFingerprint, "cd")
        contacts.setKey("bob", "cd", true)
        compare(contacts.get("bob").keyChanged, false)
        compare(contacts.get("bob").verified, true)
    }
}
