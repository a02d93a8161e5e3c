/* Counting the elements of a JSON array without building it (the optional native half of
 * clickstream/payload.py).
 *
 * Why: the collector and the ETL cap the events of one request before anything parses it, and a body
 * of tens of megabytes must not cost its size in Python objects, nor a Python loop per byte. This is
 * the same state machine as payload.py's pure-Python counter (tests compare the two on random input);
 * it reads the bytes once, without the GIL, and stops as soon as the count passes the limit.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* The elements of the array starting at buf[start] ('['), counting no further than limit + 1.
 * Elements are the commas at depth 1 plus one when the array holds anything; the scan ends where
 * the array closes, or at the end of the buffer (a truncated array counts what it holds so far). */
static Py_ssize_t count(const unsigned char *buf, Py_ssize_t size, Py_ssize_t start, Py_ssize_t limit) {
    Py_ssize_t depth = 0, commas = 0;
    int in_string = 0, escaped = 0, seen = 0;
    for (Py_ssize_t i = start; i < size; i++) {
        unsigned char c = buf[i];
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            if (depth == 1)
                seen = 1;
            break;
        case '[':
        case '{':
            depth++;
            if (depth == 2)
                seen = 1;
            break;
        case ']':
        case '}':
            depth--;
            if (depth <= 0)
                goto done;
            break;
        case ',':
            if (depth == 1) {
                commas++;
                if (commas + 1 > limit)
                    return limit + 1;
            }
            break;
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        default:
            if (depth == 1)
                seen = 1;
        }
    }
done:
    if (commas == 0 && !seen)
        return 0;
    return commas + 1 > limit ? limit + 1 : commas + 1;
}

static PyObject *count_elements(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, limit, result;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &start, &limit))
        return NULL;
    if (start < 0 || start > view.len || limit < 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "start must be within the buffer and limit not negative");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    result = count((const unsigned char *)view.buf, view.len, start, limit);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(result);
}

/* The inflated size the last member of a gzip stream states in its trailer, or -1 when the stream may hold
 * more than one member (gzip's member header 1f 8b 08 appears past the start, so the trailer is not the
 * whole), or -2 when the buffer is no gzip stream at all (no magic, or shorter than an empty member). */
static PyObject *gzip_claim(PyObject *self, PyObject *arg) {
    Py_buffer view;
    long long claim;
    (void)self;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *buf = (const unsigned char *)view.buf;
    Py_ssize_t size = view.len;
    if (size < 18 || buf[0] != 0x1f || buf[1] != 0x8b) {
        claim = -2;
    } else {
        claim = (long long)buf[size - 4] | (long long)buf[size - 3] << 8 | (long long)buf[size - 2] << 16 |
                (long long)buf[size - 1] << 24;
        const unsigned char *p = buf + 1, *end = buf + size - 2;
        while (p < end && (p = memchr(p, 0x1f, (size_t)(end - p))) != NULL) {
            if (p[1] == 0x8b && p[2] == 0x08) {
                claim = -1;
                break;
            }
            p++;
        }
    }
    PyBuffer_Release(&view);
    return PyLong_FromLongLong(claim);
}

PyDoc_STRVAR(gzip_claim_doc, "gzip_claim(buffer) -> int\n\n"
                             "The last gzip member's stated size; -1 if there may be several members, -2 if not gzip.");

PyDoc_STRVAR(count_elements_doc, "count_elements(buffer, start, limit) -> int\n\n"
                                 "Elements of the JSON array at buffer[start], at most limit + 1.");

static PyMethodDef methods[] = {
    {"count_elements", count_elements, METH_VARARGS, count_elements_doc},
    {"gzip_claim", gzip_claim, METH_O, gzip_claim_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_payload", "JSON array elements counted in one pass (see clickstream/payload.py).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__payload(void) { return PyModule_Create(&module); }
