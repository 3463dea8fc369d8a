/* Native versions of per-event loops of the python runtime (optional: every function here
 * has a pure-Python twin that is used when this module is not built, and the tests run both).
 *
 *   walk(node, trie, out, root, lookup, ambiguous)
 *       FlatView's walk over an event (kestrel_core/events/fields.py, FlatView._walk).
 *   route(table, ff, candidates)
 *       The router's pass over the fields an event holds (kestrel_core/runtime/python/module.py).
 *   candidate_ids(candidates, need, ff[, skip])
 *       The router's answer for one event: distinct candidates holding their fields, sorted.
 *   call_candidates(candidates, need, functions, f, ff, e, hits, fault[, skip])
 *       The calls of one event's candidate predicates, each once, when it holds their fields;
 *       a predicate compiled to a program (kestrel_core/runtime/python/program.py) is run by
 *       the evaluator below instead of being called.
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

/* The candidates a router cached for ``value`` (borrowed), or NULL: the router caches a
 * string, an int (not a bool) and a list of strings (as a tuple) by value. */
static PyObject *
cached_route(PyObject *cache, PyObject *value)
{
    if (PyUnicode_CheckExact(value) || PyLong_CheckExact(value))
        return PyDict_GetItemWithError(cache, value);
    if (!PyList_CheckExact(value))
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++)
        if (!PyUnicode_CheckExact(PyList_GET_ITEM(value, i)))
            return NULL;
    PyObject *key = PyList_AsTuple(value);
    if (key == NULL)
        return NULL;
    PyObject *found = PyDict_GetItemWithError(cache, key);
    Py_DECREF(key); /* found stays alive: the cache holds it */
    return found;
}

/* For every (field, value) of ``ff`` whose field has an entry (router, cache) in ``table``:
 * the cached candidates of the value, else router(value); for an entry (None, ids), a field
 * routed on its presence, the ids. All appended to ``candidates``. */
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
        PyObject *router = PyTuple_GET_ITEM(entry, 0), *cache = PyTuple_GET_ITEM(entry, 1);
        PyObject *found = NULL; /* borrowed: from the cache, or the ids of a presence route */
        if (router == Py_None) {
            found = cache;
        } else if (PyDict_CheckExact(cache)) {
            found = cached_route(cache, value);
            if (found == NULL && PyErr_Occurred())
                return NULL;
        }
        if (found != NULL) {
            if (!PyTuple_CheckExact(found)) {
                PyErr_SetString(PyExc_TypeError, "route: cached candidates are not a tuple");
                return NULL;
            }
            Py_ssize_t n = PyTuple_GET_SIZE(found);
            for (Py_ssize_t i = 0; i < n; i++)
                if (PyList_Append(candidates, PyTuple_GET_ITEM(found, i)) < 0)
                    return NULL;
            continue;
        }
        PyObject *more = PyObject_CallOneArg(router, value);
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
/* ---- predicate programs (kestrel_core/runtime/python/program.py) ----------------------------
 *
 * A program is a tuple (name, root); a node a tuple whose first item is the instruction. Every
 * node is evaluated for a wanted truth value, as the generated Python's true and false forms
 * are. run_node returns 1 (the node has the wanted value), 0 (it has not) or -1 (an error).
 * Leaves compute a three-valued result: V_TRUE, V_FALSE, V_NULL, or V_ERROR.
 */
enum { OP_AND, OP_OR, OP_NOT, OP_ISNULL, OP_CMP, OP_IN, OP_MATCH, OP_PY, OP_CONST };
enum { V_FALSE = 0, V_TRUE = 1, V_NULL = 2, V_ERROR = -1 };
enum { K_BOOL = 1, K_NUMBER = 2, K_STRING = 3, K_OTHER = 4 };

static int
kind_of(PyObject *v)
{
    if (PyBool_Check(v))
        return K_BOOL;
    if (PyLong_CheckExact(v) || PyFloat_CheckExact(v))
        return K_NUMBER;
    if (PyUnicode_CheckExact(v))
        return K_STRING;
    return K_OTHER;
}

/* str.lower(), without a method call for ASCII text (new reference). */
static PyObject *
lower_text(PyObject *s)
{
    if (!PyUnicode_IS_ASCII(s))
        return PyObject_CallMethod(s, "lower", NULL);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    const Py_UCS1 *src = PyUnicode_1BYTE_DATA(s);
    Py_ssize_t i = 0;
    while (i < n && !(src[i] >= 'A' && src[i] <= 'Z'))
        i++;
    if (i == n) {
        Py_INCREF(s);
        return s;
    }
    PyObject *out = PyUnicode_New(n, 127);
    if (out == NULL)
        return NULL;
    Py_UCS1 *dst = PyUnicode_1BYTE_DATA(out);
    memcpy(dst, src, (size_t)i);
    for (; i < n; i++) {
        Py_UCS1 c = src[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (Py_UCS1)(c + 32) : c;
    }
    return out;
}

static const int compare_ops[] = {Py_EQ, Py_NE, Py_LT, Py_LE, Py_GT, Py_GE};

/* CMP of one non-null element against the literal. */
static int
cmp_one(PyObject *a, PyObject *node)
{
    long op = PyLong_AsLong(PyTuple_GET_ITEM(node, 2));
    PyObject *lit = PyTuple_GET_ITEM(node, 3);
    int ci = PyTuple_GET_ITEM(node, 4) == Py_True;
    int ka = kind_of(a), kl = kind_of(lit);
    if (op < 0 || op > 5) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "program: unknown comparison");
        return V_ERROR;
    }
    if (ka != kl || ka == K_OTHER)
        return op == 0 ? V_FALSE : op == 1 ? V_TRUE : V_NULL;
    if (ka == K_BOOL)
        return op == 0 ? (a == lit) : op == 1 ? (a != lit) : V_NULL;
    PyObject *lowered = NULL;
    if (ci && ka == K_STRING) {
        lowered = lower_text(a);
        if (lowered == NULL)
            return V_ERROR;
        a = lowered;
    }
    int r = PyObject_RichCompareBool(a, lit, compare_ops[op]);
    Py_XDECREF(lowered);
    return r < 0 ? V_ERROR : r;
}

/* IN of one non-null element: node = (IN, name, ci, strings, numbers, bools). */
static int
in_one(PyObject *a, PyObject *node)
{
    int k = kind_of(a);
    if (k == K_STRING) {
        PyObject *strings = PyTuple_GET_ITEM(node, 3);
        if (PyTuple_GET_ITEM(node, 2) != Py_True)
            return PySet_Contains(strings, a);
        PyObject *lowered = lower_text(a);
        if (lowered == NULL)
            return V_ERROR;
        int r = PySet_Contains(strings, lowered);
        Py_DECREF(lowered);
        return r;
    }
    if (k == K_NUMBER)
        return PySet_Contains(PyTuple_GET_ITEM(node, 4), a);
    if (k == K_BOOL) {
        PyObject *bools = PyTuple_GET_ITEM(node, 5);
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(bools); i++)
            if (PyTuple_GET_ITEM(bools, i) == a)
                return V_TRUE;
    }
    return V_FALSE;
}

/* Whether ``text`` starts (direction -1) or ends (+1) with one of the strings of ``items``. */
static int
tail_any(PyObject *text, PyObject *items, int direction)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        Py_ssize_t r = PyUnicode_Tailmatch(text, PyTuple_GET_ITEM(items, i), 0, n, direction);
        if (r != 0)
            return r < 0 ? V_ERROR : V_TRUE;
    }
    return V_FALSE;
}

/* Whether the wildcard ``pat`` (``*`` any run, ``?`` one character, no escapes) matches all of
 * ``text``: the greedy two-pointer match, at most len(text) * len(pat) steps. The twin of
 * kestrel_core.runtime.patterns.glob_match. */
static int
glob_match(PyObject *text, PyObject *pat)
{
    int tk = PyUnicode_KIND(text), pk = PyUnicode_KIND(pat);
    const void *td = PyUnicode_DATA(text), *pd = PyUnicode_DATA(pat);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), m = PyUnicode_GET_LENGTH(pat);
    Py_ssize_t t = 0, p = 0, star = -1, mark = 0;
    while (t < n) {
        if (p < m) {
            Py_UCS4 c = PyUnicode_READ(pk, pd, p);
            if (c == '*') {
                star = p++;
                mark = t;
                continue;
            }
            if (c == '?' || c == PyUnicode_READ(tk, td, t)) {
                p++;
                t++;
                continue;
            }
        }
        if (star < 0)
            return 0;
        p = star + 1; /* let the last star take one more character */
        t = ++mark;
    }
    while (p < m && PyUnicode_READ(pk, pd, p) == '*')
        p++;
    return p == m;
}

/* Above len(text) * len(longest glob) steps, the globs' RE2 matcher runs instead (linear in
 * the text): kestrel_core.runtime.python.program.GLOB_BUDGET. */
#define GLOB_BUDGET (1 << 20)

/* The globs of a MATCH node against ``s``: natively, or by their RE2 matcher (globs_regex)
 * when ``s`` is long enough that the native match could take more than GLOB_BUDGET steps. */
static int
match_globs(PyObject *s, PyObject *globs, PyObject *globs_regex)
{
    Py_ssize_t count = PyTuple_GET_SIZE(globs), longest = 0;
    if (count == 0)
        return V_FALSE;
    for (Py_ssize_t i = 0; i < count; i++)
        if (PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(globs, i)) > longest)
            longest = PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(globs, i));
    if (longest > 0 && PyUnicode_GET_LENGTH(s) > GLOB_BUDGET / longest) {
        PyObject *res = PyObject_CallOneArg(globs_regex, s);
        if (res == NULL)
            return V_ERROR;
        int truth = PyObject_IsTrue(res);
        Py_DECREF(res);
        return truth < 0 ? V_ERROR : truth;
    }
    for (Py_ssize_t i = 0; i < count; i++)
        if (glob_match(s, PyTuple_GET_ITEM(globs, i)))
            return V_TRUE;
    return V_FALSE;
}

/* MATCH of one string: node = (MATCH, name, ci, exact, prefixes, suffixes, contains, affixes,
 * checks, any_string, globs, globs_regex). */
static int
match_text(PyObject *s, PyObject *node)
{
    if (PyTuple_GET_ITEM(node, 9) == Py_True)
        return V_TRUE;
    int r = PySet_Contains(PyTuple_GET_ITEM(node, 3), s);
    if (r != 0)
        return r < 0 ? V_ERROR : V_TRUE;
    if ((r = tail_any(s, PyTuple_GET_ITEM(node, 4), -1)) != V_FALSE)
        return r;
    if ((r = tail_any(s, PyTuple_GET_ITEM(node, 5), +1)) != V_FALSE)
        return r;
    PyObject *contains = PyTuple_GET_ITEM(node, 6);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(contains); i++) {
        r = PyUnicode_Contains(s, PyTuple_GET_ITEM(contains, i));
        if (r != 0)
            return r < 0 ? V_ERROR : V_TRUE;
    }
    PyObject *affixes = PyTuple_GET_ITEM(node, 7);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(affixes); i++) {
        PyObject *pair = PyTuple_GET_ITEM(affixes, i);
        PyObject *pre = PyTuple_GET_ITEM(pair, 0), *suf = PyTuple_GET_ITEM(pair, 1);
        if (n < PyUnicode_GET_LENGTH(pre) + PyUnicode_GET_LENGTH(suf))
            continue;
        Py_ssize_t a = PyUnicode_Tailmatch(s, pre, 0, n, -1);
        Py_ssize_t b = a > 0 ? PyUnicode_Tailmatch(s, suf, 0, n, +1) : a;
        if (a < 0 || b < 0)
            return V_ERROR;
        if (b > 0)
            return V_TRUE;
    }
    if ((r = match_globs(s, PyTuple_GET_ITEM(node, 10), PyTuple_GET_ITEM(node, 11))) != V_FALSE)
        return r;
    PyObject *checks = PyTuple_GET_ITEM(node, 8);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(checks); i++) {
        PyObject *res = PyObject_CallOneArg(PyTuple_GET_ITEM(checks, i), s);
        if (res == NULL)
            return V_ERROR;
        int truth = PyObject_IsTrue(res);
        Py_DECREF(res);
        if (truth != 0)
            return truth < 0 ? V_ERROR : V_TRUE;
    }
    return V_FALSE;
}

static int
match_one(PyObject *a, PyObject *node)
{
    if (!PyUnicode_CheckExact(a))
        return V_FALSE;
    if (PyTuple_GET_ITEM(node, 2) != Py_True)
        return match_text(a, node);
    PyObject *lowered = lower_text(a);
    if (lowered == NULL)
        return V_ERROR;
    int r = match_text(lowered, node);
    Py_DECREF(lowered);
    return r;
}

/* The any-element rule: ``test`` on a scalar, or on every non-null element of a list. */
static int
each_element(PyObject *value, PyObject *node, int (*test)(PyObject *, PyObject *))
{
    if (value == NULL || value == Py_None)
        return V_NULL;
    if (!PyList_CheckExact(value))
        return test(value, node);
    int result = V_NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
        PyObject *a = PyList_GET_ITEM(value, i);
        if (a == Py_None)
            continue;
        Py_INCREF(a); /* a test may call Python code that changes the list */
        int r = test(a, node);
        Py_DECREF(a);
        if (r == V_TRUE || r == V_ERROR)
            return r;
        if (r == V_FALSE)
            result = V_FALSE;
    }
    return result;
}

static int
truth_of(PyObject *value)
{
    return value == Py_True ? V_TRUE : value == Py_False ? V_FALSE : V_NULL;
}

static int field_value(PyObject *value, PyObject *node, long op);

/* A leaf's three-valued result. */
static int
leaf_value(PyObject *node, long op, PyObject *const *event)
{
    if (op == OP_CONST)
        return truth_of(PyTuple_GET_ITEM(node, 1));
    if (op == OP_PY) {
        PyObject *res = PyObject_Vectorcall(PyTuple_GET_ITEM(node, 1), event, 3, NULL);
        if (res == NULL)
            return V_ERROR;
        int r = truth_of(res);
        Py_DECREF(res);
        return r;
    }
    PyObject *value = PyDict_GetItemWithError(event[1], PyTuple_GET_ITEM(node, 1));
    if (value == NULL && PyErr_Occurred())
        return V_ERROR;
    Py_XINCREF(value); /* held: a MATCH check calls into Python */
    int r = field_value(value, node, op);
    Py_XDECREF(value);
    return r;
}

/* A field leaf's three-valued result for the field's value (NULL: not in the event). */
static int
field_value(PyObject *value, PyObject *node, long op)
{
    switch (op) {
    case OP_ISNULL:
        if (value == NULL || value == Py_None)
            return V_TRUE;
        if (PyList_CheckExact(value)) {
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++)
                if (PyList_GET_ITEM(value, i) != Py_None)
                    return V_FALSE;
            return V_TRUE;
        }
        return V_FALSE;
    case OP_CMP:
        return each_element(value, node, cmp_one);
    case OP_IN:
        return each_element(value, node, in_one);
    case OP_MATCH:
        return each_element(value, node, match_one);
    }
    PyErr_Format(PyExc_ValueError, "program: unknown instruction %ld", op);
    return V_ERROR;
}

/* Whether ``node`` has the truth value ``want``; event = (f, ff, e). */
static int
run_node(PyObject *node, int want, PyObject *const *event)
{
    if (!PyTuple_CheckExact(node) || PyTuple_GET_SIZE(node) < 2) {
        PyErr_SetString(PyExc_TypeError, "program: a node is not a tuple");
        return -1;
    }
    long op = PyLong_AsLong(PyTuple_GET_ITEM(node, 0));
    if (op == -1 && PyErr_Occurred())
        return -1;
    if (op == OP_AND || op == OP_OR || op == OP_NOT) {
        if (Py_EnterRecursiveCall(" in a predicate program"))
            return -1;
        int r;
        if (op == OP_NOT) {
            r = run_node(PyTuple_GET_ITEM(node, 1), !want, event);
        } else {
            /* and-true / or-false: every operand must give it; and-false / or-true: any one */
            int every = (op == OP_AND) == want;
            r = every;
            for (Py_ssize_t i = 1; i < PyTuple_GET_SIZE(node); i++) {
                int k = run_node(PyTuple_GET_ITEM(node, i), want, event);
                if (k < 0 || k != every) {
                    r = k < 0 ? -1 : !every;
                    break;
                }
            }
        }
        Py_LeaveRecursiveCall();
        return r;
    }
    static const Py_ssize_t leaf_size[] = {0, 0, 0, 2, 5, 6, 12, 2, 2};
    if (op < OP_ISNULL || op > OP_CONST || PyTuple_GET_SIZE(node) != leaf_size[op]) {
        PyErr_Format(PyExc_ValueError, "program: a malformed instruction %ld", op);
        return -1;
    }
    int v = leaf_value(node, op, event);
    if (v == V_ERROR)
        return -1;
    return v == (want ? V_TRUE : V_FALSE);
}

/* Call one candidate function when the event holds its fields, or run a candidate program:
 * 1 called or run, 0 not, -1 error (a fault of the predicate itself is reported to ``fault``
 * and is not an error). */
static int
call_one(PyObject *p, PyObject *need, PyObject *functions, PyObject *ff,
         PyObject *const *call_args, PyObject *fault)
{
    PyObject *names = PyDict_GetItemWithError(need, p); /* borrowed */
    PyObject *fn = names ? PyDict_GetItemWithError(functions, p) : NULL;
    if (fn == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_KeyError, "call_candidates: unknown predicate id");
        return -1;
    }
    /* A function is called only when the event holds the fields it needs; a program is run
     * at once (a missing field makes its leaf null: it is cheaper to find out there). */
    if (!(PyTuple_CheckExact(fn) && PyTuple_GET_SIZE(fn) == 2)) {
        int ok = PyAnySet_Check(names) ? holds_all(ff, names) : -2;
        if (ok == -2) {
            PyErr_SetString(PyExc_TypeError, "call_candidates: need values must be sets");
            return -1;
        }
        if (ok <= 0)
            return ok;
    }
    Py_INCREF(fn); /* held across the call, whatever the call does to the dicts */
    int failed;
    PyObject *name = NULL;
    if (PyTuple_CheckExact(fn) && PyTuple_GET_SIZE(fn) == 2) {
        /* a program (name, root): the predicate is true when its root is */
        int r = run_node(PyTuple_GET_ITEM(fn, 1), 1, call_args);
        if (r > 0 && PyList_Append(call_args[3], p) < 0) {
            Py_DECREF(fn);
            return -1;
        }
        failed = r < 0;
        if (failed) {
            name = PyTuple_GET_ITEM(fn, 0);
            Py_INCREF(name);
        }
    } else {
        PyObject *res = PyObject_Vectorcall(fn, call_args, 4, NULL);
        Py_XDECREF(res);
        failed = res == NULL;
    }
    if (!failed) {
        Py_DECREF(fn);
        return 1;
    }
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
        Py_DECREF(fn);
        Py_XDECREF(name);
        return -1; /* KeyboardInterrupt, SystemExit: not a fault of the rule */
    }
    PyObject *exc = raised_exception();
    if (name == NULL)
        name = PyObject_GetAttrString(fn, "__name__");
    Py_DECREF(fn);
    PyObject *out = name ? PyObject_CallFunctionObjArgs(fault, name, exc, NULL) : NULL;
    Py_XDECREF(name);
    Py_XDECREF(exc);
    if (out == NULL)
        return -1;
    Py_DECREF(out);
    return 1;
}

static PyObject *
speedups_call_candidates(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8 && nargs != 9) {
        PyErr_SetString(PyExc_TypeError,
                        "call_candidates(candidates, need, functions, f, ff, e, hits, fault"
                        "[, skip])");
        return NULL;
    }
    PyObject *candidates = args[0], *need = args[1], *functions = args[2];
    PyObject *ff = args[4], *fault = args[7];
    PyObject *skip = nargs == 9 && args[8] != Py_None ? args[8] : NULL;
    if (!PyList_CheckExact(candidates) || !PyDict_CheckExact(need) ||
        !PyDict_CheckExact(functions) || !PyDict_CheckExact(ff)) {
        PyErr_SetString(PyExc_TypeError, "call_candidates: a list and three dicts expected");
        return NULL;
    }
    if (skip != NULL && !PyAnySet_Check(skip)) {
        PyErr_SetString(PyExc_TypeError, "call_candidates: skip must be a set or None");
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
        int rc = skip != NULL ? PySet_Contains(skip, p) : 0;
        if (rc == 0)
            rc = call_one(p, need, functions, ff, call_args, fault);
        else if (rc > 0)
            rc = 0; /* passed over */
        Py_DECREF(p);
        if (rc < 0)
            goto error;
        calls += rc;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    return PyLong_FromSsize_t(calls);
error:
    Py_DECREF(it);
    return NULL;
}

/* candidate_ids(candidates, need, ff[, skip]): the distinct ids of ``candidates`` but those
 * in ``skip`` whose needed fields (``need[id]``, a set of names) ``ff`` holds, ascending, as a
 * tuple (the router's answer for the runtimes that evaluate predicates themselves). */
static PyObject *
speedups_candidate_ids(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if ((nargs != 3 && nargs != 4) || !PyList_CheckExact(args[0]) ||
        !PyDict_CheckExact(args[1]) || !PyDict_CheckExact(args[2]) ||
        (nargs == 4 && args[3] != Py_None && !PyAnySet_Check(args[3]))) {
        PyErr_SetString(PyExc_TypeError,
                        "candidate_ids(candidates: list, need: dict, ff: dict[, skip: set])");
        return NULL;
    }
    PyObject *need = args[1], *ff = args[2];
    PyObject *unique = PySet_New(args[0]);
    if (unique == NULL)
        return NULL;
    if (nargs == 4 && args[3] != Py_None) { /* unique -= skip */
        PyObject *rest = PyNumber_InPlaceSubtract(unique, args[3]);
        Py_DECREF(unique);
        if (rest == NULL)
            return NULL;
        unique = rest;
    }
    PyObject *it = PyObject_GetIter(unique);
    Py_DECREF(unique);
    PyObject *kept = it ? PyList_New(0) : NULL;
    if (kept == NULL) {
        Py_XDECREF(it);
        return NULL;
    }
    PyObject *p;
    while ((p = PyIter_Next(it)) != NULL) {
        PyObject *names = PyDict_GetItemWithError(need, p); /* borrowed */
        int ok = -1;
        if (names == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_KeyError, "candidate_ids: unknown predicate id");
        } else if (!PyAnySet_Check(names)) {
            PyErr_SetString(PyExc_TypeError, "candidate_ids: need values must be sets");
        } else {
            ok = holds_all(ff, names);
        }
        if (ok > 0 && PyList_Append(kept, p) < 0)
            ok = -1;
        Py_DECREF(p);
        if (ok < 0)
            goto error;
    }
    Py_DECREF(it);
    if (PyErr_Occurred() || PyList_Sort(kept) < 0) {
        Py_DECREF(kept);
        return NULL;
    }
    PyObject *out = PyList_AsTuple(kept);
    Py_DECREF(kept);
    return out;
error:
    Py_DECREF(it);
    Py_DECREF(kept);
    return NULL;
}

static PyMethodDef speedups_methods[] = {
    {"walk", (PyCFunction)(void (*)(void))speedups_walk, METH_FASTCALL,
     "walk(node, trie, out, root, lookup, ambiguous): FlatView's walk, natively."},
    {"route", (PyCFunction)(void (*)(void))speedups_route, METH_FASTCALL,
     "route(table, ff, candidates): the router's pass over an event's fields, natively."},
    {"call_candidates", (PyCFunction)(void (*)(void))speedups_call_candidates, METH_FASTCALL,
     "call_candidates(candidates, need, functions, f, ff, e, hits, fault[, skip]): one "
     "event's candidate predicates but those in skip, natively; returns the number of calls."},
    {"candidate_ids", (PyCFunction)(void (*)(void))speedups_candidate_ids, METH_FASTCALL,
     "candidate_ids(candidates, need, ff[, skip]): the distinct candidates (but those in "
     "skip) whose needed fields ff holds, ascending, as a tuple."},
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
    PyObject *module = PyModule_Create(&speedups_module);
    if (module != NULL && PyModule_AddIntConstant(module, "GLOB_BUDGET", GLOB_BUDGET) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
