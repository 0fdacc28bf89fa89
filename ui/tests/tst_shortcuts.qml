import QtQuick
import QtQuick.Layouts
import QtTest
import "../qml"

// The keyboard shortcuts over the real Sidebar and ChatView.
Item {
    id: top
    width: 1000; height: 600
    property string tab: "chats"
    property int quits: 0

    FakeBridge { id: fake }
    RowLayout {
        anchors.fill: parent
        spacing: 0
        Sidebar { id: bar; Layout.fillHeight: true; Layout.preferredWidth: 280; bridge: fake; tab: top.tab }
        ChatView { id: view; Layout.fillWidth: true; Layout.fillHeight: true; bridge: fake }
    }
    KeyboardShortcuts {
        id: keys
        bridge: fake; chatView: view; sidebar: bar
        onTabRequested: function (t) { top.tab = t }
        onQuitRequested: top.quits += 1
    }

    TestCase {
        name: "Shortcuts"
        when: windowShown

        function init() {
            view.closeSearch()
            fake.reset()
            for (var n of ["bob", "carol", "dana"])
                fake.contacts.ensure(n)
            top.tab = "wallet"
            top.quits = 0
            findChild(bar, "newChatField").text = ""
        }

        function test_ctrl_f_opens_search_in_the_chats_tab() {
            fake.openConversation("bob")
            keySequence(StandardKey.Find)
            compare(top.tab, "chats")
            verify(view.searching)
            verify(view.searchField.activeFocus)
            keyClick(Qt.Key_Escape)
            verify(!view.searching)
        }

        function test_ctrl_tab_and_alt_arrows_switch_chats() {
            fake.openConversation("bob")
            keySequence("Ctrl+Tab")
            compare(fake.currentPeer, "carol")
            compare(top.tab, "chats")
            keySequence("Alt+Down")
            compare(fake.currentPeer, "dana")
            keySequence("Ctrl+Tab")
            compare(fake.currentPeer, "bob")   // wraps around
            keySequence("Alt+Up")
            compare(fake.currentPeer, "dana")
            keySequence("Ctrl+Shift+Tab")
            compare(fake.currentPeer, "carol")
        }

        function test_ctrl_n_and_ctrl_k_type_into_the_sidebar() {
            var field = findChild(bar, "newChatField")
            keySequence("Ctrl+N")
            verify(field.activeFocus)
            compare(top.tab, "chats")
            field.focus = false
            keySequence("Ctrl+K")
            verify(field.activeFocus)
            verify(field.placeholderText.indexOf("Jump") === 0)
            // Typing filters the list; Enter opens the first match.
            keyClick(Qt.Key_A); keyClick(Qt.Key_R)
            compare(bar.filter, "ar")
            var bob = null, carol = null
            tryVerify(function () {
                var items = bar.contactList.contentItem.children
                for (var i = 0; i < items.length; ++i) {
                    if (items[i].objectName === "contact_bob") bob = items[i]
                    if (items[i].objectName === "contact_carol") carol = items[i]
                }
                return bob !== null && carol !== null
            })
            tryCompare(bob, "visible", false)
            verify(carol.visible)
            keyClick(Qt.Key_Return)
            compare(fake.currentPeer, "carol")
            compare(field.text, "")
        }

        function test_ctrl_q_quits() {
            keySequence("Ctrl+Q")
            compare(top.quits, 1)
        }

        function test_no_shortcuts_while_inactive() {
            keys.active = false
            fake.openConversation("bob")
            keySequence("Ctrl+Tab")
            compare(fake.currentPeer, "bob")
            keys.active = true
        }
    }
}
