#!/usr/bin/env python3
"""Tiny X11 helper for the console benchmark, on libX11/libXtst through ctypes (no xdotool or
ImageMagick needed):

  xtool.py key ctrl+2 [pid]    press a key combination (XTest), e.g. to switch the console's
                               tab, after giving the keyboard focus to the top-level window of
                               process pid (there is no window manager to do it)
  xtool.py shot out.png        save the whole screen of $DISPLAY as a PNG
"""
import ctypes
import ctypes.util
import struct
import sys
import time
import zlib

x11 = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XDefaultRootWindow.restype = ctypes.c_ulong
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XStringToKeysym.restype = ctypes.c_ulong
x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XFlush.argtypes = [ctypes.c_void_p]
x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
x11.XCloseDisplay.argtypes = [ctypes.c_void_p]


class XWindowAttributes(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int),
                ("height", ctypes.c_int), ("border_width", ctypes.c_int), ("depth", ctypes.c_int),
                ("visual", ctypes.c_void_p), ("root", ctypes.c_ulong), ("class", ctypes.c_int),
                ("bit_gravity", ctypes.c_int), ("win_gravity", ctypes.c_int),
                ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong),
                ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int),
                ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
                ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
                ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
                ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]


class XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_ubyte)),
                ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int),
                ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("bits_per_pixel", ctypes.c_int), ("red_mask", ctypes.c_ulong),
                ("green_mask", ctypes.c_ulong), ("blue_mask", ctypes.c_ulong)]


x11.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                     ctypes.POINTER(XWindowAttributes)]
x11.XGetImage.restype = ctypes.POINTER(XImage)
x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                          ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
ALL_PLANES = 0xFFFFFFFF
Z_PIXMAP = 2


def open_display():
    display = x11.XOpenDisplay(None)
    if not display:
        sys.exit("xtool: cannot open display")
    return display


x11.XInternAtom.restype = ctypes.c_ulong
x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x11.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                           ctypes.POINTER(ctypes.c_ulong),
                           ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                           ctypes.POINTER(ctypes.c_uint)]
x11.XGetWindowProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long,
                                   ctypes.c_long, ctypes.c_int, ctypes.c_ulong,
                                   ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_int),
                                   ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong),
                                   ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))]
x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
x11.XFree.argtypes = [ctypes.c_void_p]
XA_CARDINAL = 6
IS_VIEWABLE = 2
REVERT_TO_PARENT = 2


def window_of(display, pid):
    """The largest viewable top-level window whose _NET_WM_PID is pid, or 0."""
    root = x11.XDefaultRootWindow(display)
    net_wm_pid = x11.XInternAtom(display, b"_NET_WM_PID", 0)
    root_ret, parent_ret = ctypes.c_ulong(), ctypes.c_ulong()
    children = ctypes.POINTER(ctypes.c_ulong)()
    count = ctypes.c_uint()
    x11.XQueryTree(display, root, ctypes.byref(root_ret), ctypes.byref(parent_ret),
                   ctypes.byref(children), ctypes.byref(count))
    best, best_area = 0, 0
    for i in range(count.value):
        window = children[i]
        kind, fmt = ctypes.c_ulong(), ctypes.c_int()
        items, after = ctypes.c_ulong(), ctypes.c_ulong()
        data = ctypes.POINTER(ctypes.c_ubyte)()
        if x11.XGetWindowProperty(display, window, net_wm_pid, 0, 1, 0, XA_CARDINAL,
                                  ctypes.byref(kind), ctypes.byref(fmt), ctypes.byref(items),
                                  ctypes.byref(after), ctypes.byref(data)) != 0 or not data:
            continue
        found = ctypes.cast(data, ctypes.POINTER(ctypes.c_ulong))[0] if items.value else -1
        x11.XFree(data)
        attributes = XWindowAttributes()
        x11.XGetWindowAttributes(display, window, ctypes.byref(attributes))
        area = attributes.width * attributes.height
        if found == pid and attributes.map_state == IS_VIEWABLE and area > best_area:
            best, best_area = window, area
    if children:
        x11.XFree(children)
    return best


def key(combo, pid=None):
    xtst = ctypes.cdll.LoadLibrary(ctypes.util.find_library("Xtst") or "libXtst.so.6")
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    display = open_display()
    names = {"ctrl": "Control_L", "shift": "Shift_L", "alt": "Alt_L"}
    codes = []
    for part in combo.split("+"):
        keysym = x11.XStringToKeysym(names.get(part.lower(), part).encode())
        code = x11.XKeysymToKeycode(display, keysym)
        if not keysym or not code:
            sys.exit(f"xtool: unknown key {part}")
        codes.append(code)
    if pid is not None:
        window = window_of(display, pid)
        if not window:
            sys.exit(f"xtool: no window of pid {pid}")
        x11.XSetInputFocus(display, window, REVERT_TO_PARENT, 0)
        x11.XSync(display, 0)
        time.sleep(0.3)
    for code in codes:
        xtst.XTestFakeKeyEvent(display, code, 1, 0)
        x11.XFlush(display)
        time.sleep(0.02)
    for code in reversed(codes):
        xtst.XTestFakeKeyEvent(display, code, 0, 0)
        x11.XFlush(display)
    x11.XSync(display, 0)
    x11.XCloseDisplay(display)


def png(path, width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + row for row in rows)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        out.write(chunk(b"IEND", b""))


def shot(path):
    display = open_display()
    root = x11.XDefaultRootWindow(display)
    attributes = XWindowAttributes()
    x11.XGetWindowAttributes(display, root, ctypes.byref(attributes))
    width, height = attributes.width, attributes.height
    image = x11.XGetImage(display, root, 0, 0, width, height, ALL_PLANES, Z_PIXMAP)
    if not image:
        sys.exit("xtool: XGetImage failed")
    img = image.contents
    if img.bits_per_pixel != 32:
        sys.exit(f"xtool: {img.bits_per_pixel} bits per pixel not handled")
    data = ctypes.string_at(img.data, img.bytes_per_line * height)
    rows = []
    for y in range(height):
        line = data[y * img.bytes_per_line: y * img.bytes_per_line + width * 4]
        rgb = bytearray(width * 3)
        rgb[0::3] = line[2::4]  # little-endian BGRX
        rgb[1::3] = line[1::4]
        rgb[2::3] = line[0::4]
        rows.append(bytes(rgb))
    png(path, width, height, rows)
    x11.XCloseDisplay(display)


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "key":
        key(sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else None)
    elif len(sys.argv) == 3 and sys.argv[1] == "shot":
        shot(sys.argv[2])
    else:
        sys.exit(__doc__)
