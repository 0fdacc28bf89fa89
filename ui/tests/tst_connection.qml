import QtQuick
import QtTest
import "../qml"

// Reconnect with backoff and re-send after the reconnect.
Item {
    FakeBridge { id: fake }
    ConnectionManager { id: mgr; bridge: fake }

    TestCase {
        name: "Connection"

        function init() {
            fake.reset()
            mgr.phase = "connected"
            mgr.attempt = 0
        }

        function test_backoff_then_reconnect_and_resend() {
            fake.status = "offline"
            fake.connectionLost()
            compare(mgr.phase, "waiting")
            compare(mgr.delay, 500)
            verify(mgr.timerRunning)
            tryCompare(fake, "reconnects", 1, 3000)
            compare(mgr.phase, "connecting")
            fake.connectFailed("the router closed the connection", false)
            compare(mgr.phase, "waiting")
            compare(mgr.delay, 1000)
            fake.connectFailed("no router answered", false)
            compare(mgr.delay, 2000)
            fake.connected("fp", false)
            compare(mgr.phase, "connected")
            compare(mgr.attempt, 0)
            verify(!mgr.timerRunning)
            compare(fake.resends, 1)
            compare(mgr.lastResent, 2)
        }

        function test_fatal_error_stops_retrying() {
            fake.connectionLost()
            verify(mgr.timerRunning)
            fake.connectFailed("the router presents a different key", true)
            compare(mgr.phase, "stopped")
            verify(!mgr.timerRunning)
            wait(700)
            compare(fake.reconnects, 0)
        }

        function test_a_sign_in_that_met_a_changed_router_key_keeps_trying() {
            // The first sign-in of a run: not signed in, the router shows
            // another key. If its operator puts the old one back, the app
            // signs in by itself.
            mgr.phase = "idle"
            fake.signedIn = false
            fake.routerKeyChanged = true
            fake.connectFailed("The router's key changed.", false)
            compare(mgr.phase, "waiting")
            verify(mgr.timerRunning)
            tryCompare(fake, "reconnects", 1, 3000)
            fake.connectFailed("The router's key changed.", false)
            verify(mgr.timerRunning)
            // Signing out (Disconnect in the dialog) stops it.
            fake.signOut()
            fake.routerKeyChanged = false
            fake.signedInChanged()
            verify(!mgr.timerRunning)
            compare(mgr.phase, "idle")
        }

        function test_no_retry_when_signed_out() {
            fake.signedIn = false
            fake.connectionLost()
            verify(!mgr.timerRunning)
            compare(mgr.phase, "idle")
        }
    }
}
