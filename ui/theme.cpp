#include "ui/theme.hpp"

#include <QGuiApplication>
#include <QPalette>

namespace courier::ui {

Theme::Theme(QObject* parent) : QObject(parent) {
  apply();
}

bool Theme::valid_mode(const QString& mode) {
  return mode == QLatin1String("light") || mode == QLatin1String("dark")
         || mode == QLatin1String("system");
}

void Theme::setMode(const QString& mode) {
  if (!valid_mode(mode) || mode == mode_)
    return;
  mode_ = mode;
  apply();
}

void Theme::apply() {
  // Qt 6.4 has no colour-scheme hint: a dark window colour in the
  // desktop's palette means a dark desktop.
  dark_ = mode_ == QLatin1String("dark")
          || (mode_ == QLatin1String("system")
              && QGuiApplication::palette().color(QPalette::Window).lightness()
                   < 128);
  auto pick = [this](const char* light, const char* dark) {
    return QColor{QLatin1String(dark_ ? dark : light)};
  };
  page_ = pick("#f3f5f9", "#14171f");
  card_ = pick("#ffffff", "#1e2330");
  text_ = pick("#1d2433", "#e6e9f0");
  muted_ = pick("#6b7385", "#9aa3b5");
  border_ = pick("#dfe3ea", "#323a4b");
  rule_ = pick("#eef0f4", "#262c3a");
  incoming_ = pick("#ffffff", "#262c3a");
  outgoing_ = pick("#3b6ff5", "#3461d8");
  accent_ = pick("#3b6ff5", "#6b8fff");
  accentDark_ = pick("#2c56c9", "#3b6ff5");
  sidebar_ = pick("#1e2330", "#0f1218");
  sidebarHover_ = pick("#2a3142", "#1c212c");
  sidebarSelected_ = pick("#34405a", "#2a3550");
  sidebarText_ = pick("#e8ebf2", "#e8ebf2");
  sidebarMuted_ = pick("#8d96a8", "#8d96a8");
  danger_ = pick("#e5484d", "#f2555a");
  dangerBg_ = pick("#fde8e8", "#3d1f22");
  dangerFaint_ = pick("#e4b6b8", "#5a3437");
  good_ = pick("#17a34a", "#3ccb6f");
  goodBg_ = pick("#e3f6ea", "#17321f");
  goodBorder_ = pick("#b7e4c7", "#2c5a3b");
  goodText_ = pick("#14532d", "#a7e8bc");
  warnBg_ = pick("#fff4e0", "#3a2e14");
  warnBorder_ = pick("#f5a524", "#f5a524");
  warnText_ = pick("#8a4b00", "#f5c16c");
  chip_ = pick("#eef1f6", "#2a3040");
  chipHover_ = pick("#e3e8f2", "#343b4d");
  inset_ = pick("#f1f3f7", "#252b38");
  hover_ = pick("#e8edf7", "#262d3d");
  faint_ = pick("#c3cad8", "#4a5265");
  disabled_ = pick("#b9c3d6", "#3e4658");
  button_ = pick("#e8ecf3", "#2a3040");
  selection_ = pick("#bcd0ff", "#2f4a8a");
  Q_EMIT changed();
}

} // namespace courier::ui
