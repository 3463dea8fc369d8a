/* Native versions of two per-event loops of the python runtime (optional: every function here
 * has a pure-Python twin that is used when this module is not built, and the tests run both).
 *
 *   walk(node, trie, out, root, lookup, ambiguous)
 *       FlatView's walk over an event (kestrel_core/events/fields.py, FlatView._walk).
 *   route(table, ff, candidates)
 *       The router's pass over the fields an event holds (kestrel_core/runtime/python/module.py).
 *   call_candidates(candidates, need, functions, f, ff, e, hits, fault)
 *       The calls of one event's candidate predicates, each once, when it holds their fields.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* One trie level: ``trie`` maps a key of ``node`` to (name, child, conflicts, below). */
static int
walk_level(PyObject *node, PyObject *trie, PyObject *out, PyObject *root, PyObject *lookup,
           PyObject *ambiguous)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(node, &pos, &key, &value)) {
        if (value == Py_None)
            continue;
        PyObject *entry = PyDict_GetItemWithError(trie, key); /* borrowed */
        if (entry == NULL) {
            if (PyErr_Occurred())
                return -1;
            continue;
        }
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 4) {
            PyErr_SetString(PyExc_TypeError, "walk: a trie entry is not a 4-tuple");
            return -1;
        }
        PyObject *name = PyTuple_GET_ITEM(entry, 0);
        PyObject *child = PyTuple_GET_ITEM(entry, 1);
        PyObject *conflicts = PyTuple_GET_ITEM(entry, 2);
        PyObject *below = PyTuple_GET_ITEM(entry, 3);
        Py_ssize_t n = PyTuple_GET_SIZE(conflicts);
        for (Py_ssize_t i = 0; i < n; i++) {
            int has = PyDict_Contains(node, PyTuple_GET_ITEM(conflicts, i));
            if (has < 0)
                return -1;
            if (has) {
                PyErr_SetNone(ambiguous);
                return -1;
            }
        }
        if (name != Py_None && PyDict_SetItem(out, name, value) < 0)
            return -1;
        if (child == Py_None)
            continue;
        if (PyDict_CheckExact(value)) {
            if (Py_EnterRecursiveCall(" in FlatView walk"))
                return -1;
            int rc = walk_level(value, child, out, root, lookup, ambiguous);
            Py_LeaveRecursiveCall();
            if (rc < 0)
                return -1;
            continue;
        }
        /* a list of objects or another type: the general way for every path below */
        Py_ssize_t m = PyTuple_GET_SIZE(below);
        for (Py_ssize_t i = 0; i < m; i++) {
            PyObject *pair = PyTuple_GET_ITEM(below, i);
            PyObject *found = PyObject_CallFunctionObjArgs(
                lookup, root, PyTuple_GET_ITEM(pair, 1), NULL);
            if (found == NULL)
                return -1;
            int rc = 0;
            if (found != Py_None)
                rc = PyDict_SetItem(out, PyTuple_GET_ITEM(pair, 0), found);
            Py_DECREF(found);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

static PyObject *
speedups_walk(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "walk(node, trie, out, root, lookup, ambiguous)");
        return NULL;
    }
    PyObject *node = args[0], *trie = args[1], *out = args[2];
    if (!PyDict_CheckExact(node) || !PyDict_CheckExact(trie) || !PyDict_CheckExact(out)) {
        PyErr_SetString(PyExc_TypeError, "walk: node, trie and out must be dicts");
        return NULL;
    }
    if (walk_level(node, trie, out, args[3], args[4], args[5]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* For every (field, value) of ``ff`` whose field has an entry (router, cache) in ``table``:
 * the cached candidates of a string value, else router(value); all appended to
 * ``candidates``. */
static PyObject *
speedups_route(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "route(table, ff, candidates)");
        return NULL;
    }
    PyObject *table = args[0], *ff = args[1], *candidates = args[2];
    if (!PyDict_CheckExact(table) || !PyDict_CheckExact(ff) || !PyList_CheckExact(candidates)) {
        PyErr_SetString(PyExc_TypeError, "route: table and ff must be dicts, candidates a list");
        return NULL;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(ff, &pos, &key, &value)) {
        PyObject *entry = PyDict_GetItemWithError(table, key); /* borrowed */
        if (entry == NULL) {
            if (PyErr_Occurred())
                return NULL;
            continue;
        }
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2) {
            PyErr_SetString(PyExc_TypeError, "route: a table entry is not (router, cache)");
            return NULL;
        }
        PyObject *found = NULL; /* borrowed when from the cache */
        if (PyUnicode_CheckExact(value)) {
            found = PyDict_GetItemWithError(PyTuple_GET_ITEM(entry, 1), value);
            if (found == NULL && PyErr_Occurred())
                return NULL;
        }
        if (found != NULL) {
            Py_ssize_t n = PyTuple_GET_SIZE(found);
            for (Py_ssize_t i = 0; i < n; i++)
                if (PyList_Append(candidates, PyTuple_GET_ITEM(found, i)) < 0)
                    return NULL;
            continue;
        }
        PyObject *more = PyObject_CallOneArg(PyTuple_GET_ITEM(entry, 0), value);
        if (more == NULL)
            return NULL;
        Py_ssize_t end = PyList_GET_SIZE(candidates);
        int rc = PyList_SetSlice(candidates, end, end, more); /* extend: any sequence */
        Py_DECREF(more);
        if (rc < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

/* The exception being raised, taken (cleared): PyErr_GetRaisedException before 3.12. */
static PyObject *
raised_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL)
        PyException_SetTraceback(value, traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
#endif
}

/* Whether ``ff`` holds every name of the frozenset ``names``: 1, 0, or -1 on error. */
static int
holds_all(PyObject *ff, PyObject *names)
{
    if (PySet_GET_SIZE(names) == 0)
        return 1;
    PyObject *it = PyObject_GetIter(names);
    if (it == NULL)
        return -1;
    PyObject *name;
    int ok = 1;
    while ((name = PyIter_Next(it)) != NULL) {
        int has = PyDict_Contains(ff, name);
        Py_DECREF(name);
        if (has <= 0) {
            ok = has;
            break;
        }
    }
    Py_DECREF(it);
    if (ok == 1 && PyErr_Occurred())
        return -1;
    return ok;
}

/* Call ``functions[p](f, ff, e, hits)`` once for every distinct ``p`` of ``candidates`` whose
 * ``need[p]`` names only fields ``ff`` holds; an ``Exception`` from a call is passed to
 * ``fault(function.__name__, exc)`` and the loop goes on. Returns how many calls were made. */
static PyObject *
speedups_call_candidates(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "call_candidates(candidates, need, functions, f, ff, e, hits, fault)");
        return NULL;
    }
    PyObject *candidates = args[0], *need = args[1], *functions = args[2];
    PyObject *ff = args[4], *fault = args[7];
    if (!PyList_CheckExact(candidates) || !PyDict_CheckExact(need) ||
        !PyDict_CheckExact(functions) || !PyDict_CheckExact(ff)) {
        PyErr_SetString(PyExc_TypeError, "call_candidates: a list and three dicts expected");
        return NULL;
    }
    PyObject *unique;
    if (PyList_GET_SIZE(candidates) == 1) {
        unique = candidates;
        Py_INCREF(unique);
    } else {
        unique = PySet_New(candidates);
        if (unique == NULL)
            return NULL;
    }
    PyObject *it = PyObject_GetIter(unique);
    Py_DECREF(unique);
    if (it == NULL)
        return NULL;
    PyObject *call_args[4] = {args[3], args[4], args[5], args[6]};
    Py_ssize_t calls = 0;
    PyObject *p;
    while ((p = PyIter_Next(it)) != NULL) {
        PyObject *names = PyDict_GetItemWithError(need, p); /* borrowed */
        PyObject *fn = names ? PyDict_GetItemWithError(functions, p) : NULL;
        Py_DECREF(p);
        if (fn == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_KeyError, "call_candidates: unknown predicate id");
            goto error;
        }
        int ok = PyAnySet_Check(names) ? holds_all(ff, names) : -2;
        if (ok == -2) {
            PyErr_SetString(PyExc_TypeError, "call_candidates: need values must be sets");
            goto error;
        }
        if (ok < 0)
            goto error;
        if (!ok)
            continue;
        calls++;
        Py_INCREF(fn); /* held across the call, whatever the call does to the dicts */
        PyObject *res = PyObject_Vectorcall(fn, call_args, 4, NULL);
        if (res != NULL) {
            Py_DECREF(res);
            Py_DECREF(fn);
            continue;
        }
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            Py_DECREF(fn);
            goto error; /* KeyboardInterrupt, SystemExit: not a fault of the rule */
        }
        PyObject *exc = raised_exception();
        PyObject *name = PyObject_GetAttrString(fn, "__name__");
        Py_DECREF(fn);
        PyObject *out = name ? PyObject_CallFunctionObjArgs(fault, name, exc, NULL) : NULL;
        Py_XDECREF(name);
        Py_XDECREF(exc);
        if (out == NULL)
            goto error;
        Py_DECREF(out);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    return PyLong_FromSsize_t(calls);
error:
    Py_DECREF(it);
    return NULL;
}

static PyMethodDef speedups_methods[] = {
    {"walk", (PyCFunction)(void (*)(void))speedups_walk, METH_FASTCALL,
     "walk(node, trie, out, root, lookup, ambiguous): FlatView's walk, natively."},
    {"route", (PyCFunction)(void (*)(void))speedups_route, METH_FASTCALL,
     "route(table, ff, candidates): the router's pass over an event's fields, natively."},
    {"call_candidates", (PyCFunction)(void (*)(void))speedups_call_candidates, METH_FASTCALL,
     "call_candidates(candidates, need, functions, f, ff, e, hits, fault): one event's "
     "candidate predicates, natively; returns the number of calls."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "kestrel_core._speedups",
    "Native versions of the python runtime's per-event loops (optional).", -1,
    speedups_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&speedups_module);
}
