import QtQuick
import QtTest
import "../qml"
import "../qml/logic.js" as Logic

// Desktop notifications: only while the window is not active, only when
// turned on, and a click opens the chat.
Item {
    width: 400; height: 300

    FakeBridge { id: fake }
    QtObject { id: win; property bool active: false }
    Notifier { id: notifier; bridge: fake; appWindow: win }
    SettingsPage { id: settings; width: 400; height: 300; bridge: fake }

    TestCase {
        name: "Notifier"
        when: windowShown

        function init() {
            fake.reset()
            notifier.toast.hide()
            win.active = false
        }

        function test_a_message_shows_while_the_window_is_not_active() {
            fake.messageArrived("bob", "lunch\nat noon?")
            tryCompare(notifier.toast, "visible", true)
            compare(findChild(notifier.toast.contentItem, "notificationTitle").text, "bob")
            compare(findChild(notifier.toast.contentItem, "notificationBody").text, "lunch at noon?")
            fake.messageArrived("carol", "hi")
            compare(findChild(notifier.toast.contentItem, "notificationTitle").text, "carol  (+1 more)")
            // Coming back to the window hides it.
            win.active = true
            tryCompare(notifier.toast, "visible", false)
        }

        function test_nothing_while_active_or_turned_off() {
            win.active = true
            fake.messageArrived("bob", "hi")
            compare(notifier.toast.visible, false)
            win.active = false
            // The settings' switch turns them off (the bridge saves it).
            var sw = findChild(settings, "notificationsSwitch")
            verify(sw.checked)
            sw.toggle(); sw.toggled() // a click (the switch is below the fold here)
            compare(fake.notificationsEnabled, false)
            fake.messageArrived("bob", "hi")
            compare(notifier.toast.visible, false)
        }

        function test_a_payment_shows_while_the_window_is_not_active() {
            fake.paymentArrived("eli", "eli paid you 12.34")
            tryCompare(notifier.toast, "visible", true)
            compare(findChild(notifier.toast.contentItem, "notificationTitle").text, "eli")
            compare(findChild(notifier.toast.contentItem, "notificationBody").text, "eli paid you 12.34")
            notifier.toast.hide()
            // Not while the window is active, nor when turned off.
            win.active = true
            fake.paymentArrived("eli", "eli paid you 1.00")
            compare(notifier.toast.visible, false)
            win.active = false
            fake.notificationsEnabled = false
            fake.paymentArrived("eli", "eli paid you 2.00")
            compare(notifier.toast.visible, false)
        }

        function test_a_click_opens_the_chat() {
            fake.messageArrived("dana", "see the slides")
            tryCompare(notifier.toast, "visible", true)
            notifier.openChat()
            compare(fake.currentPeer, "dana")
            compare(notifier.toast.visible, false)
        }

        function test_texts() {
            var many = ""
            for (var i = 0; i < 200; ++i) many += "x"
            compare(Logic.notificationText(many).length, 140)
            compare(Logic.windowTitle(false, "dana", 3), "Courier")
            compare(Logic.windowTitle(true, "dana", 0), "Courier \u2013 dana")
            compare(Logic.windowTitle(true, "dana", 3), "Courier \u2013 dana (3)")
        }
    }
}
