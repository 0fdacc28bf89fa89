import QtQuick
import QtQuick.Window
import QtTest
import "../qml"

// The main window opens at the size it had when it was closed, clamped to
// the screen, and saves it when it closes.
Item {
    FakeBridge { id: fake }
    Window {
        id: win
        width: 640; height: 480
        minimumWidth: 300; minimumHeight: 200
    }
    WindowMemory { id: memory; bridge: fake; appWindow: win }

    TestCase {
        name: "WindowMemory"

        function init() {
            fake.reset()
            win.visibility = Window.Windowed
            win.width = 640; win.height = 480
        }

        function test_a_saved_size_is_applied() {
            fake.savedWindow = { width: 512, height: 384, maximized: false }
            memory.restore()
            compare(win.width, 512)
            compare(win.height, 384)
        }

        function test_a_saved_size_is_clamped_to_the_screen_and_the_minimum() {
            var maxW = win.screen.desktopAvailableWidth
            var maxH = win.screen.desktopAvailableHeight
            verify(maxW > 300 && maxW < 100000)
            fake.savedWindow = { width: 100000, height: 100000, maximized: false }
            memory.restore()
            compare(win.width, maxW)
            compare(win.height, maxH)
            fake.savedWindow = { width: 10, height: 10, maximized: false }
            memory.restore()
            compare(win.width, 300)
            compare(win.height, 200)
        }

        function test_nothing_saved_keeps_the_default() {
            memory.restore()
            compare(win.width, 640)
            compare(win.height, 480)
        }

        function test_the_size_is_saved() {
            win.width = 700; win.height = 500
            memory.save()
            compare(fake.savedWindow.width, 700)
            compare(fake.savedWindow.height, 500)
            compare(fake.savedWindow.maximized, false)
        }
    }
}
