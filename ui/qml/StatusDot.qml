import QtQuick
import "logic.js" as Logic

Rectangle {
    property string status: "offline"
    width: 10; height: 10; radius: width / 2
    color: Logic.statusColor(status)
}
