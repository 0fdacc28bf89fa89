import QtQuick
import QtQuick.Controls
import QtTest
import "../qml"

// The first router key must be answered before anything else: the dialog
// keeps the keyboard, Enter accepts and Esc disconnects.
Item {
    id: top
    width: 800; height: 600

    FakeBridge { id: fake }
    TextField { id: behind; objectName: "behind"; width: 300 }
    RouterKeyDialog { id: dialog; bridge: fake; parent: top }
    RouterChangedDialog { id: changedDialog; bridge: fake; parent: top }

    TestCase {
        name: "RouterKey"
        when: windowShown

        function init() {
            fake.reset()
            behind.text = ""
            behind.forceActiveFocus()
        }

        function showNewKey() {
            fake.routerFingerprint = "1111 2222 3333 4444 5555 6666 7777 8888 9999 aaaa bbbb cccc dddd eeee ffff 0000"
            fake.routerAccepted = false
            tryCompare(dialog, "opened", true)
        }

        function test_keyboard_stays_with_the_dialog_and_enter_accepts() {
            showNewKey()
            keyClick(Qt.Key_A)
            behind.forceActiveFocus() // a click or a tab behind the dialog
            keyClick(Qt.Key_B)
            compare(behind.text, "")
            compare(fake.routerAccepts, 0)
            keyClick(Qt.Key_Return)
            compare(fake.routerAccepts, 1)
            tryCompare(dialog, "visible", false)
        }

        function test_changed_key_shows_both_and_accepts_only_after_the_check() {
            fake.oldRouterFingerprint = "1111 2222 3333 4444 5555 6666 7777 8888 9999 aaaa bbbb cccc dddd eeee ffff 0000"
            fake.newRouterFingerprint = "abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd"
            fake.routerKeyChanged = true
            tryCompare(changedDialog, "opened", true)
            verify(findChild(changedDialog.contentItem, "oldRouterFingerprint").text.indexOf("1111 2222") === 0)
            verify(findChild(changedDialog.contentItem, "newRouterFingerprint").text.indexOf("abcd abcd") === 0)
            var accept = findChild(changedDialog.contentItem, "routerChangeAccept")
            verify(!accept.enabled)
            mouseClick(accept)
            compare(fake.changedAccepts, 0)
            mouseClick(findChild(changedDialog.contentItem, "routerChangeChecked"))
            verify(accept.enabled)
            mouseClick(accept)
            compare(fake.changedAccepts, 1)
            tryCompare(changedDialog, "visible", false)
        }

        function test_escape_disconnects() {
            showNewKey()
            keyClick(Qt.Key_Escape)
            compare(fake.signOuts, 1)
            compare(fake.routerAccepts, 0)
            tryCompare(dialog, "visible", false)
        }
    }
}
