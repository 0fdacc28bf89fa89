import QtQuick
import "logic.js" as Logic

// Keeps the connection up while signed in: after a loss it reconnects with
// exponential backoff (0.5 s doubling to 10 s) and, once connected again,
// re-sends what was queued or failed while offline. A sign-in that met a
// changed router key keeps trying too: if the operator puts the old key
// back, the app signs in by itself.
Item {
    id: mgr
    property var bridge
    // idle | connected | waiting | connecting | stopped
    property string phase: "idle"
    property int attempt: 0
    property int delay: 0
    property int lastResent: 0
    readonly property bool active: bridge ? bridge.signedIn || bridge.routerKeyChanged : false
    readonly property alias timerRunning: timer.running

    function schedule(event) {
        phase = Logic.nextConnectionState(phase, event)
        if (phase !== "waiting")
            return
        delay = Logic.backoffDelay(attempt)
        attempt += 1
        timer.interval = delay
        timer.restart()
    }

    function retryNow() {
        timer.stop()
        attempt = 0
        phase = "connecting"
        bridge.reconnect()
    }

    Timer {
        id: timer
        repeat: false
        onTriggered: {
            mgr.phase = Logic.nextConnectionState(mgr.phase, "retry")
            mgr.bridge.reconnect()
        }
    }

    Connections {
        target: mgr.bridge
        function onConnected() {
            timer.stop()
            mgr.attempt = 0
            mgr.phase = Logic.nextConnectionState(mgr.phase, "connected")
            mgr.lastResent = mgr.bridge.resendFailed()
        }
        function onConnectionLost() {
            if (mgr.active)
                mgr.schedule("lost")
        }
        function onConnectFailed(message, fatal) {
            if (!mgr.active)
                return
            if (fatal) {
                timer.stop()
                mgr.phase = Logic.nextConnectionState(mgr.phase, "fatal")
            } else {
                mgr.schedule("failed")
            }
        }
        function onSignedInChanged() {
            if (!mgr.active) {
                timer.stop()
                mgr.attempt = 0
                mgr.phase = Logic.nextConnectionState(mgr.phase, "signedOut")
            } else if (mgr.phase === "idle") {
                mgr.phase = "connected"
            }
        }
    }
}
