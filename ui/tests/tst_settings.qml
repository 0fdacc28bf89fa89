import QtQuick
import QtQuick.Layouts
import QtTest
import "../qml"

// The settings page: reached from the sidebar and with Ctrl+, ; the router
// list, the theme, notifications and switching users.
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
            SettingsPage { id: page; bridge: fake; onUserSwitched: top.tab = "chats" }
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

        function test_notifications_switch_is_here_too() {
            var s = findChild(page, "settingsNotificationsSwitch")
            verify(s.checked)
            mouseClick(s)
            compare(fake.notificationsEnabled, false)
            // The sidebar's switch shows the same setting.
            compare(findChild(bar, "notificationsSwitch").checked, false)
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
