.pragma library
// Pure functions behind the views: unit-tested by the Qt Quick tests.

// -- colours -------------------------------------------------------------------
var accent = "#3b6ff5";
var accentDark = "#2c56c9";
var sidebar = "#1e2330";
var sidebarHover = "#2a3142";
var sidebarSelected = "#34405a";
var sidebarText = "#e8ebf2";
var sidebarMuted = "#8d96a8";
var page = "#f3f5f9";
var card = "#ffffff";
var text = "#1d2433";
var muted = "#6b7385";
var border = "#dfe3ea";
var outgoing = "#3b6ff5";
var incoming = "#ffffff";
var online = "#22c55e";
var offline = "#9aa3b2";
var connecting = "#f5a524";
var danger = "#e5484d";
var warnBg = "#fff4e0";
var warnBorder = "#f5a524";
var good = "#17a34a";

// -- amounts (the same rules as bank::parse_amount) ----------------------------

// "" if `text` is a valid amount: digits, at most two decimals, positive,
// at most one trillion; otherwise why not, in words.
function validateAmount(text) {
    var t = text === undefined || text === null ? "" : String(text);
    if (t.length === 0)
        return "Enter an amount.";
    if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(t)) {
        if (/^[0-9]+\.[0-9]{3,}$/.test(t))
            return "At most two decimals.";
        if (/^-/.test(t))
            return "The amount must be positive.";
        return "Write the amount like 12.50.";
    }
    var parts = t.split(".");
    var whole = parts[0].replace(/^0+(?=[0-9])/, "");
    if (whole.length > 13 || Number(whole) > 1000000000000
            || (Number(whole) === 1000000000000 && parts.length > 1
                && Number(parts[1]) > 0))
        return "At most 1,000,000,000,000 per payment.";
    if (Number(t) === 0)
        return "The amount must be more than zero.";
    return "";
}

// -- unread counts --------------------------------------------------------------

// Whether a message from `from` counts as unread given the open view.
function countsAsUnread(from, openPeer, chatVisible) {
    return from !== openPeer || !chatVisible;
}

// The badge text for `n` unread messages ("" hides the badge).
function unreadBadge(n) {
    if (!n || n <= 0)
        return "";
    return n > 99 ? "99+" : String(n);
}

// -- keys -------------------------------------------------------------------------

// The banner of a conversation: "changed" blocks sending until the new key
// is accepted, "unverified" is a gentle hint, "none" shows nothing.
function bannerState(contact) {
    if (!contact || !contact.name)
        return "none";
    if (contact.keyChanged)
        return "changed";
    if (contact.fingerprint && !contact.verified)
        return "unverified";
    return "none";
}

function canSend(text, contact, status) {
    if (bannerState(contact) === "changed")
        return false;
    return String(text || "").trim().length > 0;
}

// A fingerprint as two lines of eight groups.
function fingerprintLines(fp) {
    var groups = String(fp || "").split(" ").filter(function (g) { return g.length > 0; });
    if (groups.length <= 8)
        return groups.join(" ");
    return groups.slice(0, 8).join(" ") + "\n" + groups.slice(8).join(" ");
}

// A fingerprint as people read it aloud: groups of four hex digits, two
// lines, whatever spacing it was given with; other text as it is.
function groupFingerprint(fp) {
    var hex = String(fp || "").replace(/[\s:]+/g, "").toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex))
        return String(fp || "");
    return fingerprintLines(hex.match(/.{4}/g).join(" "));
}

// -- messages ---------------------------------------------------------------------

function stateLabel(state) {
    switch (state) {
    case "sending": return "sending";
    case "accepted": return "\u2713 sent";
    case "delivered": return "\u2713\u2713 delivered";
    case "read": return "\u2713\u2713 read";
    case "failed": return "failed \u2013 click to retry";
    default: return "";
    }
}

// Message text for a rich-text view: everything escaped (a message is
// never markup), web links clickable, spaces and line breaks kept.
function escapeHtml(text) {
    return String(text === undefined || text === null ? "" : text)
        .replace(/&/g, "&amp;").replace(/</g, "&lt;")
        .replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function linkify(text, linkColor) {
    var out = escapeHtml(text).replace(/\bhttps?:\/\/[^\s<>"]+/g, function (url) {
        // A full stop or a bracket after a link belongs to the sentence.
        var tail = "";
        while (/[.,;:!?)\]']$/.test(url)) {
            tail = url.slice(-1) + tail;
            url = url.slice(0, -1);
        }
        return '<a href="' + url + '" style="color:' + (linkColor || accent) + '">'
               + url + '</a>' + tail;
    });
    return '<span style="white-space:pre-wrap">' + out.replace(/\n/g, "<br>") + "</span>";
}

// Presence as shown: nobody is "online" while we are not connected.
function presenceText(online, status) {
    return online && status === "connected" ? "online" : "offline";
}

// Enter sends, Shift+Enter makes a new line.
function isSendKey(key, modifiers) {
    var enter = key === Qt.Key_Return || key === Qt.Key_Enter;
    return enter && !(modifiers & Qt.ShiftModifier);
}

// -- connection ---------------------------------------------------------------------

var backoffStart = 500;
var backoffMax = 10000;

// Delay before reconnect attempt number `attempt` (0-based): 0.5 s doubling,
// at most 10 s.
function backoffDelay(attempt) {
    var a = Math.max(0, attempt | 0);
    return Math.min(backoffMax, backoffStart * Math.pow(2, a));
}

// The next state of the connection machine for an event:
// connected | lost | failed | fatal | retry | signedOut.
function nextConnectionState(state, event) {
    switch (event) {
    case "connected": return "connected";
    case "lost": return state === "stopped" ? "stopped" : "waiting";
    case "failed": return state === "stopped" ? "stopped" : "waiting";
    case "fatal": return "stopped";
    case "retry": return state === "waiting" ? "connecting" : state;
    case "signedOut": return "idle";
    default: return state;
    }
}

function statusText(status, state, delayMs) {
    if (status === "connected")
        return "Connected";
    if (state === "stopped")
        return "Offline";
    if (status === "connecting" || state === "connecting")
        return "Connecting\u2026";
    if (state === "waiting")
        return "Offline \u2013 retrying in " + Math.ceil(delayMs / 1000) + " s";
    return "Offline";
}

function statusColor(status) {
    if (status === "connected") return online;
    if (status === "connecting") return connecting;
    return danger;
}

// -- people ---------------------------------------------------------------------------

// A rough strength hint for a passphrase: {score 0-4, label}.
function passphraseStrength(p) {
    var s = String(p || "");
    if (s.length === 0)
        return { score: 0, label: "" };
    var kinds = 0;
    if (/[a-z]/.test(s)) kinds++;
    if (/[A-Z]/.test(s)) kinds++;
    if (/[0-9]/.test(s)) kinds++;
    if (/[^a-zA-Z0-9]/.test(s)) kinds++;
    var score = 0;
    if (s.length >= 8) score++;
    if (s.length >= 12) score++;
    if (s.length >= 16 || (s.length >= 12 && kinds >= 3)) score++;
    if (kinds >= 3 && s.length >= 10) score++;
    score = Math.min(4, score);
    var labels = ["too weak", "weak", "fair", "good", "strong"];
    return { score: score, label: labels[score] };
}

function initials(name) {
    var n = String(name || "?");
    return n.charAt(0).toUpperCase();
}

function avatarColor(name) {
    var palette = ["#e5484d", "#f76b15", "#d6a100", "#30a46c", "#12a594",
                   "#0090ff", "#3e63dd", "#8e4ec6", "#d6409f"];
    var h = 0;
    var n = String(name || "");
    for (var i = 0; i < n.length; ++i)
        h = (h * 31 + n.charCodeAt(i)) % 9973;
    return palette[h % palette.length];
}

// The chat `step` places after `current` in `names` (wrapping around); the
// first (or last) when none is open; "" when there are no chats.
function adjacentPeer(names, current, step) {
    var n = names ? names.length : 0;
    if (n === 0)
        return "";
    var i = names.indexOf(current);
    if (i < 0)
        return step > 0 ? names[0] : names[n - 1];
    return names[((i + step) % n + n) % n];
}

// A message as a notification shows it: one paragraph, at most 140
// characters.
function notificationText(body) {
    var t = String(body).replace(/\s+/g, " ").trim();
    return t.length > 140 ? t.substring(0, 139) + "\u2026" : t;
}

// The window title: who is signed in and how many messages are unread.
function windowTitle(signedIn, user, unread) {
    if (!signedIn)
        return "Courier";
    return "Courier \u2013 " + user + (unread > 0 ? " (" + unread + ")" : "");
}

// -- conversation view ----------------------------------------------------------------

// The label of a day separator for `day` ("yyyy-MM-dd", local time) seen on
// `today` (a Date): "Today", "Yesterday", the weekday within a week, else
// the date as the locale writes it.
function dayLabel(day, today, locale) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
    if (!m)
        return "";
    var d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    var t = today ? new Date(today.getFullYear(), today.getMonth(), today.getDate())
                  : new Date();
    // Rounded: a day with a daylight saving change is 23 or 25 hours.
    var days = Math.round((t.getTime() - d.getTime()) / 86400000);
    var loc = locale || Qt.locale();
    var longFormat = 0; // Locale.LongFormat (the enum is not seen in a library)
    if (days === 0)
        return "Today";
    if (days === 1)
        return "Yesterday";
    if (days > 1 && days < 7)
        return loc.dayName(d.getDay(), longFormat);
    return d.toLocaleDateString(loc, longFormat);
}

// -- read receipts and typing -----------------------------------------------------

// Whether a typing indicator may go now, the last having gone at `lastMs`
// (0: never): at most one every 3 s.
function typingDue(lastMs, nowMs) {
    return !lastMs || nowMs - lastMs >= 3000;
}

// The line under the chat header while `name` types.
function typingText(name) {
    return name + " is typing\u2026";
}

// -- the conversation --open names -----------------------------------------------

// Whether to open `peer` (--open) now. A contact opens once signed in; a
// name not yet a contact is looked up at the router, so it waits for a
// connection to a router whose key the user accepted (on a first start
// the identity is made before that, and opening then only said "Connect
// first").
function startPeerDue(peer, signedIn, status, routerAccepted, isContact) {
    if (typeof peer !== "string" || peer === "" || !signedIn)
        return false;
    return isContact || (status === "connected" && routerAccepted);
}
