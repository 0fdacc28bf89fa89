import QtQuick
import QtQuick.Layouts
import QtTest
import "../qml"

// The settings page: reached from the sidebar and with Ctrl+, ; the router
// list, the theme, notifications, read receipts and typing, the bank's
// fingerprint and switching users.
Item {
    id: top
    width: 1000; height: 700
    property string tab: "chats"

    FakeBridge { id: fake }
    RowLayout {
        anchors.fill: parent
        spacing: 0
        Sidebar {
            id: bar; Layout.fillHeight: true; Layout.preferredWidth: 280
            bridge: fake; tab: top.tab
            onTabRequested: function (t) { top.tab = t }
        }
        StackLayout {
            Layout.fillWidth: true; Layout.fillHeight: true
            currentIndex: top.tab === "settings" ? 1 : 0
            ChatView { id: view; bridge: fake }
            SettingsPage {
                id: page; bridge: fake
                onUserSwitched: top.tab = "chats"
                onWalletRequested: top.tab = "wallet"
            }
        }
    }
    KeyboardShortcuts {
        bridge: fake; chatView: view; sidebar: bar
        onTabRequested: function (t) { top.tab = t }
    }

    TestCase {
        name: "Settings"
        when: windowShown

        function init() {
            fake.reset()
            theme.mode = "light"
            top.tab = "settings"
            page.routerError = ""
            findChild(page, "newRouterField").text = ""
        }

        function rows() {
            wait(20) // the layout places rows made for a new list
            var out = []
            var r = findChild(page, "routerRows")
            for (var i = 0; i < r.count; ++i)
                out.push(r.itemAt(i))
            return out
        }

        function test_reachable_from_the_sidebar_and_with_ctrl_comma() {
            top.tab = "chats"
            verify(!page.visible)
            mouseClick(findChild(bar, "tab_settings"))
            compare(top.tab, "settings")
            tryCompare(page, "visible", true)
            top.tab = "chats"
            keyClick(Qt.Key_Comma, Qt.ControlModifier)
            compare(top.tab, "settings")
        }

        function test_routers_can_be_added_reordered_and_removed() {
            compare(rows().length, 1)
            var field = findChild(page, "newRouterField")
            field.forceActiveFocus()
            keyClick(Qt.Key_N); keyClick(Qt.Key_O); keyClick(Qt.Key_Return)
            // A malformed address is said, and nothing changes.
            verify(findChild(page, "routerError").visible)
            verify(findChild(page, "routerError").text.indexOf("HOST:PORT") >= 0)
            compare(fake.routerLists.length, 0)
            field.text = "10.0.0.2:7401"
            verify(!findChild(page, "routerError").visible)
            mouseClick(findChild(page, "addRouterButton"))
            compare(fake.routers, ["127.0.0.1:7400", "10.0.0.2:7401"])
            compare(field.text, "")
            // Twice the same router: refused before it reaches the bridge.
            field.text = "10.0.0.2:7401"
            mouseClick(findChild(page, "addRouterButton"))
            verify(findChild(page, "routerError").text.indexOf("already") >= 0)
            compare(fake.routerLists.length, 1)
            // Reorder: the second is tried first.
            tryVerify(function () { return rows().length === 2 })
            verify(!findChild(rows()[0], "routerUp").enabled)
            mouseClick(findChild(rows()[1], "routerUp"))
            compare(fake.routers, ["10.0.0.2:7401", "127.0.0.1:7400"])
            mouseClick(findChild(rows()[0], "routerDown"))
            compare(fake.routers, ["127.0.0.1:7400", "10.0.0.2:7401"])
            // Remove; the last one cannot go.
            mouseClick(findChild(rows()[0], "routerRemove"))
            compare(fake.routers, ["10.0.0.2:7401"])
            tryVerify(function () { return rows().length === 1 })
            verify(!findChild(rows()[0], "routerRemove").enabled)
        }

        function test_dark_mode_is_chosen_here() {
            compare(fake.themeMode, "light")
            mouseClick(findChild(page, "theme_dark"))
            compare(fake.themeMode, "dark")
            mouseClick(findChild(page, "theme_system"))
            compare(fake.themeMode, "system")
            mouseClick(findChild(page, "theme_light"))
            compare(fake.themeMode, "light")
        }

        // The three switches are here, and only here: the sidebar has none.
        function test_notifications_read_receipts_and_typing_switches() {
            var names = { notificationsSwitch: "notificationsEnabled",
                          readReceiptsSwitch: "readReceiptsEnabled",
                          typingSwitch: "typingEnabled" }
            for (var name in names) {
                verify(findChild(bar, name) === null, name + " in the sidebar")
                var s = findChild(page, name)
                verify(s !== null, name)
                verify(s.visible, name)
                verify(s.checked, name)
                s.toggle(); s.toggled() // as a click does (some are below the fold)
                compare(fake[names[name]], false, name)
                // The switch follows the setting, wherever it changes.
                fake[names[name]] = true
                verify(s.checked, name)
            }
            // A click on one changes that setting alone.
            mouseClick(findChild(page, "typingSwitch"))
            compare(fake.typingEnabled, false)
            compare(fake.readReceiptsEnabled, true)
            compare(fake.notificationsEnabled, true)
        }

        function test_bank_fingerprint_is_shown_or_said_missing() {
            var hint = findChild(page, "bankFingerprintHint")
            var fp = findChild(page, "bankFingerprintText")
            compare(fake.bankFingerprint, "")
            verify(hint.text.indexOf("Not set yet") === 0, hint.text)
            verify(!fp.visible)
            compare(findChild(page, "bankFingerprintChange").text, "Enter it in the wallet\u2026")
            // Saved as typed (colons, capitals, one block): read in groups.
            fake.bankFingerprint = "0589729D" + "0123456789abcdef".repeat(3) + ":" + "a".repeat(8)
            verify(fp.visible)
            compare(fp.text, "0589 729d 0123 4567 89ab cdef 0123 4567\n"
                             + "89ab cdef 0123 4567 89ab cdef aaaa aaaa")
            verify(hint.text.indexOf("only to the bank with this key fingerprint") >= 0, hint.text)
            verify(fp.readOnly && fp.selectByMouse)
            // Changing it is the wallet's job.
            findChild(page, "bankFingerprintChange").clicked()
            compare(top.tab, "wallet")
        }

        function test_switch_user_and_new_identity() {
            fake.knownIdentities = ["alice", "bob", "carol"]
            page.refreshIdentities()
            verify(findChild(page, "switchTo_alice") === null) // that is us
            var b = findChild(page, "switchTo_bob")
            verify(b !== null)
            b.clicked() // below the fold of the scrolling page
            compare(fake.switchedTo, ["bob"])
            compare(fake.signedIn, false)
            compare(fake.user, "bob")
            compare(top.tab, "chats") // the next user starts on the chats
            top.tab = "settings"
            fake.signedIn = true
            findChild(page, "newIdentityButton").clicked()
            compare(fake.switchedTo, ["bob", ""])
            compare(fake.signedIn, false)
        }
    }
}
