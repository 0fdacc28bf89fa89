import QtQuick
import QtTest
import "../qml"

// Unread counts and presence in the real Sidebar.
Item {
    width: 300; height: 600

    FakeBridge { id: fake }
    Sidebar { id: bar; anchors.fill: parent; bridge: fake; tab: "chats" }

    TestCase {
        name: "Sidebar"
        when: windowShown

        function init() { fake.reset() }

        function row(name) {
            var items = bar.contactList.contentItem.children
            for (var i = 0; i < items.length; ++i)
                if (items[i].objectName === "contact_" + name)
                    return items[i]
            return null
        }

        function test_unread_badge_counts_and_clears() {
            fake.openConversation("carol")
            fake.contacts.ensure("bob")
            fake.contacts.bumpUnread("bob")
            fake.contacts.bumpUnread("bob")
            var r = null
            tryVerify(function () { r = row("bob"); return r !== null })
            var badge = findChild(r, "unreadBadge")
            tryCompare(badge, "visible", true)
            compare(badge.text, "2")
            compare(fake.contacts.totalUnread, 2)
            compare(findChild(row("carol"), "unreadBadge").visible, false)
            mouseClick(r)
            compare(fake.currentPeer, "bob")
            tryCompare(badge, "visible", false)
            compare(fake.contacts.totalUnread, 0)
        }

        function test_new_chat_field_opens_conversation() {
            var field = findChild(bar, "newChatField")
            field.forceActiveFocus()
            field.text = "Dave"
            keyClick(Qt.Key_Return)
            compare(fake.currentPeer, "dave")
            tryVerify(function () { return row("dave") !== null })
        }

        function test_a_conversation_can_be_deleted() {
            fake.openConversation("bob")
            var r = null
            tryVerify(function () { r = row("bob"); return r !== null })
            mouseClick(r, 20, 20, Qt.RightButton)
            var item = findChild(r, "deleteConversation")
            verify(item)
            var menu = findChild(r, "contactMenu")
            tryCompare(menu, "opened", true)
            mouseClick(item)
            // Nothing is deleted before the user confirms; Cancel has the
            // keyboard, so Enter keeps the conversation.
            tryCompare(bar.deleteDialog, "opened", true)
            compare(findChild(bar.deleteDialog, "deleteConfirmText").text,
                    "Delete the conversation with bob?")
            compare(fake.deleted, "")
            keyClick(Qt.Key_Return)
            tryCompare(bar.deleteDialog, "visible", false)
            compare(fake.deleted, "")
            verify(row("bob") !== null)
            // Esc closes it too.
            bar.confirmDelete("bob")
            tryCompare(bar.deleteDialog, "opened", true)
            keyClick(Qt.Key_Escape)
            tryCompare(bar.deleteDialog, "visible", false)
            compare(fake.deleted, "")
            mouseClick(r, 20, 20, Qt.RightButton)
            tryCompare(menu, "opened", true)
            mouseClick(item)
            tryCompare(bar.deleteDialog, "opened", true)
            mouseClick(findChild(bar.deleteDialog, "deleteConfirmButton"))
            compare(fake.deleted, "bob")
            tryCompare(bar.deleteDialog, "visible", false)
            tryVerify(function () { return row("bob") === null })
        }

        function test_own_fingerprint_is_readable() {
            var fp = findChild(bar, "myFingerprint")
            verify(fp.font.pixelSize >= 12, fp.font.pixelSize)
            verify(fp.selectByMouse)
            verify(fp.text.indexOf("aaaa bbbb") === 0)
        }

        function test_status_text() {
            var t = findChild(bar, "statusText")
            compare(t.text, "Connected")
            fake.status = "connecting"
            compare(t.text, "Connecting\u2026")
        }

        function test_a_long_status_stays_clear_of_the_buttons() {
            fake.status = "offline"
            bar.connection = { phase: "waiting", delay: 123000 }
            var t = findChild(bar, "statusText")
            verify(t.text.indexOf("retrying in 123 s") > 0, t.text)
            var button = findChild(bar, "backupButton")
            // However long the text, it ends before the Back up button.
            var right = t.mapToItem(bar, t.width, 0).x
            verify(right <= button.mapToItem(bar, 0, 0).x,
                   right + " > " + button.mapToItem(bar, 0, 0).x)
            verify(t.elide === Text.ElideRight)
            verify(t.truncated || t.implicitWidth <= t.width)
            bar.connection = undefined
            fake.status = "connected"
        }
    }
}
