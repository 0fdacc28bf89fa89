import QtQuick
import QtQuick.Layouts
import QtTest
import "../qml"

// Light and dark: every text the app draws itself stays readable on what
// is behind it (contrast at least 3:1), on every page.
Item {
    id: top
    width: 1100; height: 720

    FakeBridge { id: fake }
    RowLayout {
        anchors.fill: parent
        spacing: 0
        Sidebar { id: bar; Layout.fillHeight: true; Layout.preferredWidth: 260; bridge: fake }
        StackLayout {
            id: pages
            Layout.fillWidth: true; Layout.fillHeight: true
            ChatView { id: chat; bridge: fake }
            WalletPage { id: wallet; bridge: fake }
            SettingsPage { id: settings; bridge: fake }
            SetupPage { id: setup; bridge: fake }
        }
    }

    TestCase {
        name: "Theme"
        when: windowShown

        function init() {
            fake.reset()
            theme.mode = "light"
        }
        function cleanupTestCase() { theme.mode = "light" }

        function luminance(c) {
            function lin(v) { return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) }
            return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b)
        }
        function contrast(a, b) {
            var la = luminance(a), lb = luminance(b)
            return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
        }
        function isText(item) {
            return item.hasOwnProperty("text") && item.hasOwnProperty("color")
                   && item.hasOwnProperty("font") && typeof item.text === "string"
        }
        // The first painted rectangle behind `item`: its own ancestors'.
        // Controls and fields draw their own backgrounds with the window's
        // palette (set in Main.qml, looked at in the screenshots), and a
        // gradient is not one colour: both are left out.
        function behind(item) {
            for (var p = item; p; p = p.parent) {
                if (p.hasOwnProperty("background"))
                    return null
                if (p === item)
                    continue
                if (p.hasOwnProperty("gradient") && p.gradient)
                    return null
                if (p.hasOwnProperty("color") && p.hasOwnProperty("radius")
                        && p.color.a > 0.5)
                    return p.color
            }
            return null
        }
        function visibleTo(item) {
            for (var p = item; p; p = p.parent)
                if (!p.visible || p.opacity === 0)
                    return false
            return true
        }
        function unreadable(root) {
            var bad = [], stack = [root]
            while (stack.length > 0) {
                var it = stack.pop()
                for (var i = 0; i < it.children.length; ++i)
                    stack.push(it.children[i])
                if (isText(it) && it.text !== "" && visibleTo(it)) {
                    var bg = behind(it)
                    if (bg !== null && contrast(it.color, bg) < 3.0)
                        bad.push(JSON.stringify(String(it.text).substring(0, 30)) + " "
                                 + it.color + " on " + bg)
                }
            }
            return bad
        }
        function fill() {
            fake.contacts.ensure("bob"); fake.contacts.ensure("carol")
            fake.contacts.bumpUnread("carol")
            fake.messages.addIncoming("bob", "yesterday's", "m-1", Date.now() - 86400000)
            fake.openConversation("carol")
            fake.messages.addIncoming("bob", "hi alice https://example.org", "m-2", Date.now() - 60000)
            fake.contacts.bumpUnread("bob")
            fake.messages.addEvent("bob", "bob paid you 12.34", "pay-1", Date.now() - 30000)
            fake.openConversation("bob")
            var id = fake.sendMessage("hello")
            var id2 = fake.sendMessage("this one failed")
            fake.messages.setFailed(id2, "the router is not reachable")
            fake.notice = ""
        }

        function check(mode) {
            theme.mode = mode
            fill()
            var bad = []
            for (var i = 0; i < 4; ++i) {
                pages.currentIndex = i
                if (i === 3) fake.signedIn = false
                wait(50)
                bad = bad.concat(unreadable(pages.children[i]))
            }
            bad = bad.concat(unreadable(bar))
            compare(bad.length, 0, mode + ": " + bad.join("; "))
        }

        function test_light_is_readable() { check("light") }
        function test_dark_is_readable() {
            check("dark")
            verify(theme.dark)
            // And it is dark: the page behind the chat is.
            verify(luminance(chat.color) < 0.05, chat.color)
        }
    }
}
