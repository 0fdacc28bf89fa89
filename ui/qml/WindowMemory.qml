import QtQuick
import QtQuick.Window

// The main window opens at the size (and maximized state) it had when it
// was closed, never larger than the screen offers nor smaller than its
// minimum; the bridge keeps them in the data home's courier-chat.ini.
QtObject {
    id: root
    property var bridge
    property var appWindow

    /// Applies the saved size, clamped to the screen (call before showing).
    function restore() {
        if (!root.bridge || !root.appWindow)
            return
        var s = root.bridge.windowState()
        if (!s || !s.width || !s.height)
            return
        var w = root.appWindow
        // What the desktop offers, as Main.qml's default size.
        var maxW = w.screen ? w.screen.desktopAvailableWidth : s.width
        var maxH = w.screen ? w.screen.desktopAvailableHeight : s.height
        w.width = Math.max(Math.min(s.width, maxW), Math.min(w.minimumWidth, maxW))
        w.height = Math.max(Math.min(s.height, maxH), Math.min(w.minimumHeight, maxH))
        if (s.maximized)
            w.visibility = Window.Maximized
    }

    /// Saves the size for the next start (on closing).
    function save() {
        if (!root.bridge || !root.appWindow)
            return
        root.bridge.saveWindowState(root.appWindow.width, root.appWindow.height,
                                    root.appWindow.visibility === Window.Maximized)
    }
}
