/* Row lists -> Arrow column buffers, in one row-major pass (the optional native half of etl/arrow_rows.py).
 *
 * Why: converting a batch column by column (transpose the rows, then one pyarrow call per column) reads
 * every row once per column, long after the transform made its values; this reads each row once, while
 * its values are in the CPU's caches, and appends them to all its columns' buffers at once.
 *
 * Only the exact JSON types a column expects are converted here (str for strings, int for integers,
 * float for doubles, bool for booleans); a column holding anything else is given up on (None in the
 * result) and etl/arrow_rows.py converts it the pure-Python way, with every coercion rule. So the arrays
 * built here are the arrays pyarrow would build from the same values, never a second set of rules.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum kind { KIND_STRING = 0, KIND_INT64 = 1, KIND_INT32 = 2, KIND_DOUBLE = 3, KIND_BOOL = 4 };

/* One column being built for a known number of rows: every buffer but the string bytes is sized at the
 * start (zeroed, so a null's value slot is already 0); the validity bitmap is returned only if a null came. */
typedef struct {
    int kind;
    int failed;
    Py_ssize_t slot;
    Py_ssize_t nulls;
    uint8_t *validity;
    uint8_t *fixed;   /* int64/int32/double values, or the boolean bitmap */
    int32_t *offsets; /* strings: rows + 1 offsets */
    char *text;       /* strings: their UTF-8 bytes */
    Py_ssize_t text_size;
    Py_ssize_t text_capacity;
} column;

/* 2^53: the largest integer range a double holds exactly (pyarrow refuses larger ints for float64). */
#define DOUBLE_EXACT_INT 9007199254740992LL

static Py_ssize_t fixed_bytes(int kind, Py_ssize_t rows) {
    switch (kind) {
    case KIND_INT64:
    case KIND_DOUBLE:
        return rows * 8;
    case KIND_INT32:
        return rows * 4;
    case KIND_BOOL:
        return (rows + 7) / 8;
    }
    return 0;
}

static int start(column *col, int kind, Py_ssize_t rows) {
    col->kind = kind;
    col->validity = PyMem_Calloc((size_t)((rows + 7) / 8 + 1), 1);
    if (kind == KIND_STRING) {
        col->offsets = PyMem_Calloc((size_t)(rows + 1), sizeof(int32_t));
        col->text_capacity = rows * 16 + 64;
        col->text = PyMem_Malloc((size_t)col->text_capacity);
        if (col->validity == NULL || col->offsets == NULL || col->text == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        return 0;
    }
    col->fixed = PyMem_Calloc((size_t)(fixed_bytes(kind, rows) + 1), 1);
    if (col->validity == NULL || col->fixed == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void release_one(column *col) {
    PyMem_Free(col->validity);
    PyMem_Free(col->fixed);
    PyMem_Free(col->offsets);
    PyMem_Free(col->text);
}

static void release(column *cols, Py_ssize_t count) {
    for (Py_ssize_t index = 0; index < count; index++) {
        release_one(&cols[index]);
    }
    PyMem_Free(cols);
}

#define SET_BIT(bits, index) ((bits)[(index) >> 3] |= (uint8_t)(1u << ((index) & 7)))

static int append_text(column *col, const char *text, Py_ssize_t length, Py_ssize_t row) {
    if (col->text_size + length > INT32_MAX) {
        col->failed = 1; /* past 2 GiB of text: left to pyarrow */
        return 0;
    }
    if (col->text_size + length > col->text_capacity) {
        Py_ssize_t capacity = col->text_capacity * 2;
        while (capacity < col->text_size + length) {
            capacity *= 2;
        }
        char *grown = PyMem_Realloc(col->text, (size_t)capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        col->text = grown;
        col->text_capacity = capacity;
    }
    memcpy(col->text + col->text_size, text, (size_t)length);
    col->text_size += length;
    col->offsets[row + 1] = (int32_t)col->text_size;
    SET_BIT(col->validity, row);
    return 0;
}

/* Appends row `row`'s value; sets col->failed when it is not of the column's exact type. -1 on error. */
static inline int append(column *col, PyObject *value, Py_ssize_t row) {
    if (value == Py_None) {
        col->nulls++;
        if (col->kind == KIND_STRING) {
            col->offsets[row + 1] = (int32_t)col->text_size;
        }
        return 0;
    }
    switch (col->kind) {
    case KIND_STRING:
        if (PyUnicode_CheckExact(value)) {
            if (PyUnicode_IS_COMPACT_ASCII(value)) {
                return append_text(col, (const char *)PyUnicode_DATA(value), PyUnicode_GET_LENGTH(value), row);
            }
            Py_ssize_t length;
            const char *text = PyUnicode_AsUTF8AndSize(value, &length);
            if (text != NULL) {
                return append_text(col, text, length, row);
            }
            PyErr_Clear(); /* lone surrogates: pyarrow's rules decide */
        }
        break;
    case KIND_INT64:
    case KIND_INT32:
        if (PyLong_CheckExact(value)) {
            int overflow;
            long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
            if (overflow || (number == -1 && PyErr_Occurred())) {
                PyErr_Clear();
                break;
            }
            if (col->kind == KIND_INT64) {
                ((int64_t *)col->fixed)[row] = (int64_t)number;
            } else if (number >= INT32_MIN && number <= INT32_MAX) {
                ((int32_t *)col->fixed)[row] = (int32_t)number;
            } else {
                break;
            }
            SET_BIT(col->validity, row);
            return 0;
        }
        break;
    case KIND_DOUBLE:
        if (PyFloat_CheckExact(value)) {
            double number = PyFloat_AS_DOUBLE(value);
            if (!isfinite(number)) {
                break; /* NaN and infinities follow etl.values.column's rules */
            }
            ((double *)col->fixed)[row] = number;
            SET_BIT(col->validity, row);
            return 0;
        }
        if (PyLong_CheckExact(value)) {
            int overflow;
            long long integer = PyLong_AsLongLongAndOverflow(value, &overflow);
            if (overflow || (integer == -1 && PyErr_Occurred()) || integer > DOUBLE_EXACT_INT ||
                integer < -DOUBLE_EXACT_INT) {
                PyErr_Clear();
                break;
            }
            ((double *)col->fixed)[row] = (double)integer;
            SET_BIT(col->validity, row);
            return 0;
        }
        break;
    case KIND_BOOL:
        if (value == Py_True || value == Py_False) {
            if (value == Py_True) {
                SET_BIT(col->fixed, row);
            }
            SET_BIT(col->validity, row);
            return 0;
        }
        break;
    }
    col->failed = 1;
    return 0;
}

/* (null_count, validity bytes or None, offsets bytes or None, values bytes) of a finished column. */
static PyObject *result_of(column *col, Py_ssize_t rows) {
    PyObject *validity = col->nulls ? PyBytes_FromStringAndSize((const char *)col->validity, (rows + 7) / 8)
                                    : Py_NewRef(Py_None);
    PyObject *offsets = col->kind == KIND_STRING
                            ? PyBytes_FromStringAndSize((const char *)col->offsets, (rows + 1) * 4)
                            : Py_NewRef(Py_None);
    PyObject *values = col->kind == KIND_STRING
                           ? PyBytes_FromStringAndSize(col->text, col->text_size)
                           : PyBytes_FromStringAndSize((const char *)col->fixed, fixed_bytes(col->kind, rows));
    if (validity == NULL || offsets == NULL || values == NULL) {
        Py_XDECREF(validity);
        Py_XDECREF(offsets);
        Py_XDECREF(values);
        return NULL;
    }
    return Py_BuildValue("(nNNN)", col->nulls, validity, offsets, values);
}

PyDoc_STRVAR(build_doc,
             "build(rows, slots, kinds) -> list\n\n"
             "For each (slot, kind): the Arrow buffers of row[slot] over all rows, as (null_count, validity,\n"
             "offsets, values), or None when a value is not of the kind's exact Python type. rows: a list of\n"
             "lists or tuples; kinds: 0 string, 1 int64, 2 int32, 3 float64, 4 bool.");

static PyObject *build(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *rows, *slots, *kinds;
    if (!PyArg_ParseTuple(args, "O!O!O!:build", &PyList_Type, &rows, &PyTuple_Type, &slots, &PyTuple_Type, &kinds)) {
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(slots);
    if (PyTuple_GET_SIZE(kinds) != count) {
        PyErr_SetString(PyExc_ValueError, "slots and kinds differ in length");
        return NULL;
    }
    column *cols = PyMem_Calloc((size_t)(count ? count : 1), sizeof(column));
    if (cols == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t index = 0; index < count; index++) {
        cols[index].slot = PyLong_AsSsize_t(PyTuple_GET_ITEM(slots, index));
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(kinds, index));
        if (PyErr_Occurred() || cols[index].slot < 0 || kind < KIND_STRING || kind > KIND_BOOL) {
            release(cols, count);
            PyErr_SetString(PyExc_ValueError, "a slot must be an index and a kind 0-4");
            return NULL;
        }
        if (start(&cols[index], (int)kind, PyList_GET_SIZE(rows)) < 0) {
            release(cols, count);
            return NULL;
        }
    }
    Py_ssize_t length = PyList_GET_SIZE(rows);
    for (Py_ssize_t row = 0; row < length; row++) {
        PyObject *item = PyList_GET_ITEM(rows, row);
        PyObject **values;
        Py_ssize_t width;
        if (PyList_CheckExact(item)) {
            values = ((PyListObject *)item)->ob_item;
            width = PyList_GET_SIZE(item);
        } else if (PyTuple_CheckExact(item)) {
            values = ((PyTupleObject *)item)->ob_item;
            width = PyTuple_GET_SIZE(item);
        } else {
            release(cols, count);
            PyErr_SetString(PyExc_TypeError, "each row must be a list or a tuple");
            return NULL;
        }
        for (Py_ssize_t index = 0; index < count; index++) {
            column *col = &cols[index];
            if (col->failed) {
                continue;
            }
            if (col->slot >= width) {
                PyErr_Format(PyExc_IndexError, "row %zd has %zd values, slot %zd asked", row, width, col->slot);
                release(cols, count);
                return NULL;
            }
            if (append(col, values[col->slot], row) < 0) {
                release(cols, count);
                return NULL;
            }
        }
    }
    PyObject *result = PyList_New(count);
    if (result == NULL) {
        release(cols, count);
        return NULL;
    }
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *entry = cols[index].failed ? Py_NewRef(Py_None) : result_of(&cols[index], length);
        if (entry == NULL) {
            Py_DECREF(result);
            release(cols, count);
            return NULL;
        }
        PyList_SET_ITEM(result, index, entry);
    }
    release(cols, count);
    return result;
}

PyDoc_STRVAR(flat_doc,
             "flat(values, kind) -> tuple | None\n\n"
             "The Arrow buffers of a list or tuple of values, as build() gives one column's, or None.");

static PyObject *flat(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *values;
    int kind;
    if (!PyArg_ParseTuple(args, "Oi:flat", &values, &kind)) {
        return NULL;
    }
    if (kind < KIND_STRING || kind > KIND_BOOL) {
        PyErr_SetString(PyExc_ValueError, "a kind is 0-4");
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(values, "values must be a list or a tuple");
    if (sequence == NULL) {
        return NULL;
    }
    column col;
    memset(&col, 0, sizeof(col));
    PyObject *result = NULL;
    Py_ssize_t length = PySequence_Fast_GET_SIZE(sequence);
    if (start(&col, kind, length) == 0) {
        PyObject **items = PySequence_Fast_ITEMS(sequence);
        Py_ssize_t row = 0;
        for (; row < length && !col.failed; row++) {
            if (append(&col, items[row], row) < 0) {
                break;
            }
        }
        if (!PyErr_Occurred()) {
            result = col.failed ? Py_NewRef(Py_None) : result_of(&col, length);
        }
    }
    release_one(&col);
    Py_DECREF(sequence);
    return result;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, build_doc},
    {"flat", flat, METH_VARARGS, flat_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_columns", "Row lists -> Arrow column buffers (see etl/arrow_rows.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__columns(void) { return PyModule_Create(&module); }
