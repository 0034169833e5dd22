#include "switchboard/systemdnotify.h"

#ifdef SWITCHBOARD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace switchboard::systemd {

bool built()
{
#ifdef SWITCHBOARD_HAVE_SYSTEMD
    return true;
#else
    return false;
#endif
}

bool notify(const QString &state)
{
#ifdef SWITCHBOARD_HAVE_SYSTEMD
    // A STATUS line must stay one line.
    QString text = state;
    return sd_notify(0, text.replace(u'\r', u' ').toUtf8().constData()) > 0;
#else
    Q_UNUSED(state);
    return false;
#endif
}

} // namespace switchboard::systemd
