// wmping: how long a Qt (or any EWMH) application's GUI thread takes to answer the window
// manager's _NET_WM_PING, i.e. how long an input event would wait before the application
// handles it. Plays the window manager's part on an X server with no window manager
// (xvfb-run): sends the ping as a ClientMessage to the top-level window of process <pid>
// (_NET_WM_PID) and waits for the reply that the application sends back to the root window.
//
//   wmping <pid> <count> <interval-ms> <timeout-ms>
//
// Prints one line a ping: "<unix ms> <latency ms>" or "<unix ms> timeout", then
// "summary sent=N answered=N timeouts=N mean=… p50=… p99=… max=…" (ms). Exits 2 when the
// window cannot be found within 10 s. Bounded: at most <count> pings, each waiting at most
// <timeout-ms>.
//
// Build: cc -O2 -o wmping wmping.c -lX11
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double nowMs(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static Atom netWmPid;

// A mapped top-level window (or one of its ancestors' children) of `pid`, depth-first.
static Window findWindow(Display *display, Window window, long pid, int depth)
{
    Atom type;
    int format;
    unsigned long items, after;
    unsigned char *data = NULL;
    if (XGetWindowProperty(display, window, netWmPid, 0, 1, False, XA_CARDINAL, &type, &format,
                           &items, &after, &data) == Success &&
        data) {
        long found = items ? (long)*(unsigned long *)data : -1;
        XFree(data);
        XWindowAttributes attributes;
        if (found == pid && XGetWindowAttributes(display, window, &attributes) &&
            attributes.map_state == IsViewable && attributes.width > 200)
            return window;
    }
    if (depth > 3)
        return 0;
    Window root, parent, *children = NULL;
    unsigned int count = 0;
    Window result = 0;
    if (XQueryTree(display, window, &root, &parent, &children, &count)) {
        for (unsigned int i = 0; i < count && !result; ++i)
            result = findWindow(display, children[i], pid, depth + 1);
        if (children)
            XFree(children);
    }
    return result;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: wmping <pid> <count> <interval-ms> <timeout-ms>\n");
        return 1;
    }
    long pid = atol(argv[1]);
    int count = atoi(argv[2]);
    int intervalMs = atoi(argv[3]);
    int timeoutMs = atoi(argv[4]);
    if (count <= 0 || count > 100000 || intervalMs < 0 || timeoutMs <= 0) {
        fprintf(stderr, "wmping: bad arguments\n");
        return 1;
    }
    Display *display = XOpenDisplay(NULL);
    if (!display) {
        fprintf(stderr, "wmping: cannot open display\n");
        return 1;
    }
    Window root = DefaultRootWindow(display);
    netWmPid = XInternAtom(display, "_NET_WM_PID", False);
    Atom protocols = XInternAtom(display, "WM_PROTOCOLS", False);
    Atom ping = XInternAtom(display, "_NET_WM_PING", False);

    Window target = 0;
    for (int i = 0; i < 100 && !target; ++i) {
        target = findWindow(display, root, pid, 0);
        if (!target)
            usleep(100 * 1000);
    }
    if (!target) {
        fprintf(stderr, "wmping: no mapped window of pid %ld\n", pid);
        return 2;
    }
    // Qt sends the answer to the root window with StructureNotify|SubstructureRedirect.
    XSelectInput(display, root, StructureNotifyMask);
    XFlush(display);

    double *latencies = calloc((size_t)count, sizeof(double));
    int answered = 0, timeouts = 0;
    int fd = ConnectionNumber(display);
    for (int n = 1; n <= count; ++n) {
        double sentAt = nowMs(CLOCK_MONOTONIC);
        XEvent event;
        memset(&event, 0, sizeof event);
        event.xclient.type = ClientMessage;
        event.xclient.window = target;
        event.xclient.message_type = protocols;
        event.xclient.format = 32;
        event.xclient.data.l[0] = (long)ping;
        event.xclient.data.l[1] = n; // the "timestamp": our sequence number
        event.xclient.data.l[2] = (long)target;
        XSendEvent(display, target, False, NoEventMask, &event);
        XFlush(display);

        int got = 0;
        while (!got) {
            while (XPending(display)) {
                XEvent reply;
                XNextEvent(display, &reply);
                if (reply.type == ClientMessage && reply.xclient.message_type == protocols &&
                    (Atom)reply.xclient.data.l[0] == ping && reply.xclient.data.l[1] == n) {
                    got = 1;
                    break;
                }
            }
            if (got)
                break;
            double left = sentAt + timeoutMs - nowMs(CLOCK_MONOTONIC);
            if (left <= 0)
                break;
            struct pollfd p = {fd, POLLIN, 0};
            poll(&p, 1, (int)left + 1);
        }
        double latency = nowMs(CLOCK_MONOTONIC) - sentAt;
        if (got) {
            latencies[answered++] = latency;
            printf("%.0f %.3f\n", nowMs(CLOCK_REALTIME), latency);
        } else {
            ++timeouts;
            printf("%.0f timeout\n", nowMs(CLOCK_REALTIME));
        }
        fflush(stdout);
        double wait = sentAt + intervalMs - nowMs(CLOCK_MONOTONIC);
        if (n < count && wait > 0)
            usleep((useconds_t)(wait * 1000));
    }
    double sum = 0;
    for (int i = 0; i < answered; ++i)
        sum += latencies[i];
    qsort(latencies, (size_t)answered, sizeof(double), compare);
    if (answered)
        printf("summary sent=%d answered=%d timeouts=%d mean=%.2f p50=%.2f p99=%.2f max=%.2f\n",
               count, answered, timeouts, sum / answered, latencies[answered / 2],
               latencies[(answered * 99) / 100 < answered ? (answered * 99) / 100 : answered - 1],
               latencies[answered - 1]);
    else
        printf("summary sent=%d answered=0 timeouts=%d\n", count, timeouts);
    free(latencies);
    XCloseDisplay(display);
    return 0;
}
