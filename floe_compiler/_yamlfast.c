/*
 * floe_compiler._yamlfast: the loader's fast path, for the common subset of YAML.
 *
 * loader.py builds plain data and positions from parser events in Python; at 100k
 * transforms that is millions of event objects and method calls. Here libyaml's event
 * API drives the same construction in C, for documents made only of what floe files
 * usually hold: one document of mappings, sequences and untagged scalars. On anything
 * else (anchors, aliases, tags, merge keys, duplicate or typed keys, credential keys,
 * deep nesting, any parser error) `load` returns None before handing anything back, and
 * the Python path, the reference, loads the text and reports every diagnostic.
 *
 * The Python path parses with the libyaml that ruamel.yaml.clib bundles: 0.1.7 patched
 * up to 0.2.5 but for tags (which we decline anyway) and plain scalars inside flow
 * collections (see scanned_otherwise). Its reader and parser are 0.2.5's, so positions
 * (marks) are the same.
 *
 * load(text, is_credential_key, resolve_number, plain_words, yaml11_words,
 *      number_first, max_depth)
 *   -> None, or (data, root, top, shapes, templated, two_readings, mapping):
 *   data          the document's plain data;
 *   root          packed position (line << 32 | column, 1-based) of the top node;
 *   top           the top node's store (positions.py gives the forms): a tree of the
 *                 collections' stores, each holding its children's packed positions as
 *                 8-byte ints in one bytes object, and its children's stores. Mappings
 *                 of the same keys in the same order share one shape (key -> i);
 *   shapes        {tuple of a mapping's keys: its shape}, every shape once;
 *   templated     paths of str values holding "{{" or "{%";
 *   two_readings  (text, value, (line, column), path) of plain scalars YAML 1.1 and 1.2
 *                 may read differently (loader.report_two_readings words them);
 *   mapping       whether the top node is a mapping.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

/* What the Python side hands in: the rules scalars.py and credentials.py own. */
typedef struct {
    PyObject *is_credential_key; /* callable: key -> bool */
    PyObject *resolve_number;    /* callable: text -> (value, maybe_two) */
    PyObject *plain_words;       /* dict: YAML 1.1 booleans and nulls */
    PyObject *yaml11_words;      /* set: words YAML 1.2 reads otherwise */
    const char *number_first;    /* ASCII characters a number may start with */
    Py_ssize_t max_word;         /* longest key of plain_words or yaml11_words */
    long max_depth;              /* open collections allowed (loader.MAX_DEPTH + 1) */
} Rules;

/* An open collection. */
typedef struct {
    int is_map;
    int flow;         /* written in flow style: [...] or {...} */
    PyObject *result; /* dict or list, the data */
    PyObject *part;   /* its key or index in its parent (None at the top) */
    PyObject *children; /* list of the children's stores (None: a scalar), or NULL */
    PyObject *key;    /* mapping: the key whose value comes next, or NULL */
    /* Packed positions so far: a sequence's items; a mapping's keys and values, each
     * key's followed by its value's. */
    int64_t *positions;
    Py_ssize_t count, capacity;
} Frame;

/* The state of one load. Every PyObject here is owned (or NULL). */
typedef struct {
    const Rules *rules;
    Frame *stack;
    long depth;
    long flow_depth;       /* open collections in flow style */
    PyObject *data;
    PyObject *root;        /* packed position of the top node, an int */
    PyObject *top;         /* the top node's store */
    PyObject *shapes;      /* dict: tuple of a mapping's keys -> its shape */
    PyObject *templated;   /* list of paths */
    PyObject *two_readings;
    PyObject *key_cache;   /* dict: key text -> the one str object for it (checked) */
    PyObject *text_cache;  /* dict: short value text -> the one str object for it */
    PyObject *empty_path;  /* () */
    int documents;
    int mapping;
} Load;

/* A step's outcome: go on, leave the subset (return None), or a Python error. */
enum { OK = 0, BAIL = 1, FAIL = -1 };

static int64_t pack(const yaml_mark_t *mark)
{
    return ((int64_t)(mark->line + 1) << 32) | (int64_t)(mark->column + 1);
}

static void frame_clear(Frame *frame)
{
    Py_CLEAR(frame->result);
    Py_CLEAR(frame->part);
    Py_CLEAR(frame->children);
    Py_CLEAR(frame->key);
    PyMem_Free(frame->positions);
    frame->positions = NULL;
}

static void load_clear(Load *load)
{
    while (load->depth > 0)
        frame_clear(&load->stack[--load->depth]);
    PyMem_Free(load->stack);
    load->stack = NULL;
    Py_CLEAR(load->data);
    Py_CLEAR(load->root);
    Py_CLEAR(load->top);
    Py_CLEAR(load->shapes);
    Py_CLEAR(load->templated);
    Py_CLEAR(load->two_readings);
    Py_CLEAR(load->key_cache);
    Py_CLEAR(load->text_cache);
    Py_CLEAR(load->empty_path);
}

/* dict[key] = value, stealing `value`; a NULL value is a failure already raised. */
static int set_stolen(PyObject *dict, PyObject *key, PyObject *value)
{
    if (value == NULL)
        return FAIL;
    int failed = PyDict_SetItem(dict, key, value);
    Py_DECREF(value);
    return failed ? FAIL : OK;
}

static int push_position(Frame *frame, int64_t packed)
{
    if (frame->count == frame->capacity) {
        Py_ssize_t capacity = frame->capacity ? frame->capacity * 2 : 8;
        int64_t *grown = PyMem_Realloc(frame->positions, (size_t)capacity * sizeof(int64_t));
        if (grown == NULL) {
            PyErr_NoMemory();
            return FAIL;
        }
        frame->positions = grown;
        frame->capacity = capacity;
    }
    frame->positions[frame->count++] = packed;
    return OK;
}

/* Record where a node starts, in its parent's store (or as the root), and give the
 * node's part of its path: the key or the index (a new reference; Py_None at the top). */
static int place(Load *load, int64_t packed, PyObject **part)
{
    if (load->depth == 0) {
        Py_XSETREF(load->root, PyLong_FromLongLong(packed));
        *part = Py_NewRef(Py_None);
        return load->root == NULL ? FAIL : OK;
    }
    Frame *top = &load->stack[load->depth - 1];
    if (top->is_map) {
        if (push_position(top, packed) == FAIL)
            return FAIL;
        *part = Py_NewRef(top->key);
        return OK;
    }
    *part = PyLong_FromSsize_t(PyList_GET_SIZE(top->result));
    if (*part == NULL)
        return FAIL;
    if (push_position(top, packed) == FAIL) {
        Py_CLEAR(*part);
        return FAIL;
    }
    return OK;
}

/* The path of a node from its part (see `place`): the parts of the open collections
 * below the top one, then its own. A new tuple. */
static PyObject *path_of(Load *load, PyObject *part)
{
    if (load->depth == 0)
        return Py_NewRef(load->empty_path);
    PyObject *path = PyTuple_New(load->depth);
    if (path == NULL)
        return NULL;
    for (long i = 1; i < load->depth; i++)
        PyTuple_SET_ITEM(path, i - 1, Py_NewRef(load->stack[i].part));
    PyTuple_SET_ITEM(path, load->depth - 1, Py_NewRef(part));
    return path;
}

/* Hand a finished node to its parent, or make it the document's data. Steals value. */
static int attach(Load *load, PyObject *value)
{
    if (load->depth == 0) {
        if (load->data == NULL) {
            load->data = value;
        } else {
            Py_DECREF(value);
        }
        return OK;
    }
    Frame *top = &load->stack[load->depth - 1];
    int failed;
    if (top->is_map) {
        failed = PyDict_SetItem(top->result, top->key, value);
        Py_CLEAR(top->key);
    } else {
        failed = PyList_Append(top->result, value);
    }
    Py_DECREF(value);
    return failed ? FAIL : OK;
}

static int starts_like_number(const Rules *rules, const yaml_char_t *text, size_t length)
{
    return length > 0 && text[0] < 0x80 && strchr(rules->number_first, text[0]) != NULL;
}

/* A mapping key: within the subset only a plain or quoted non-empty text that floe
 * reads as text, is no credential's name and is not already in the mapping. */
static int scalar_key(Load *load, Frame *top, const yaml_event_t *event)
{
    const Rules *rules = load->rules;
    const yaml_char_t *raw = event->data.scalar.value;
    size_t length = event->data.scalar.length;
    int plain = event->data.scalar.plain_implicit;
    if (length == 0)
        return BAIL;
    if (plain && (starts_like_number(rules, raw, length)
                  || (length == 2 && raw[0] == '<' && raw[1] == '<')))
        return BAIL; /* a typed key (W111), or a merge */
    PyObject *text = PyUnicode_DecodeUTF8((const char *)raw, (Py_ssize_t)length, "strict");
    if (text == NULL)
        return FAIL;
    /* One str object per distinct key, checked once per load. */
    PyObject *key = PyDict_GetItemWithError(load->key_cache, text);
    if (key != NULL) {
        Py_INCREF(key);
        Py_DECREF(text);
    } else if (PyErr_Occurred()) {
        Py_DECREF(text);
        return FAIL;
    } else {
        PyObject *answer = PyObject_CallOneArg(rules->is_credential_key, text);
        int credential = answer == NULL ? -1 : PyObject_IsTrue(answer);
        Py_XDECREF(answer);
        if (credential != 0 || PyDict_SetItem(load->key_cache, text, text)) {
            Py_DECREF(text);
            return credential == 1 ? BAIL : FAIL;
        }
        key = text;
    }
    if (plain && PyUnicode_GET_LENGTH(key) <= rules->max_word) {
        int word = PyDict_Contains(rules->plain_words, key);
        if (word == 0)
            word = PySet_Contains(rules->yaml11_words, key);
        if (word != 0) {
            Py_DECREF(key);
            return word < 0 ? FAIL : BAIL;
        }
    }
    /* Each earlier key's value is in the mapping before the next key comes. */
    int duplicate = PyDict_Contains(top->result, key);
    if (duplicate != 0) {
        Py_DECREF(key);
        return duplicate < 0 ? FAIL : BAIL;
    }
    if (push_position(top, pack(&event->start_mark)) == FAIL) {
        Py_DECREF(key);
        return FAIL;
    }
    top->key = key;
    return OK;
}

/* The value of a plain scalar as floe reads it (scalars.resolve_plain), and whether
 * YAML 1.2 may read it otherwise. Steals nothing; returns a new reference. */
static PyObject *resolve_plain(Load *load, PyObject *text, const yaml_event_t *event,
                               int *maybe_two)
{
    const Rules *rules = load->rules;
    *maybe_two = 0;
    if (event->data.scalar.length == 0)
        return Py_NewRef(Py_None);
    if (starts_like_number(rules, event->data.scalar.value, event->data.scalar.length)) {
        PyObject *pair = PyObject_CallOneArg(rules->resolve_number, text);
        if (pair == NULL)
            return NULL;
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            Py_DECREF(pair);
            PyErr_SetString(PyExc_TypeError, "resolve_number must return a pair");
            return NULL;
        }
        *maybe_two = PyObject_IsTrue(PyTuple_GET_ITEM(pair, 1));
        PyObject *value = *maybe_two < 0 ? NULL : Py_NewRef(PyTuple_GET_ITEM(pair, 0));
        Py_DECREF(pair);
        return value;
    }
    if (PyUnicode_GET_LENGTH(text) > rules->max_word)
        return Py_NewRef(text);
    PyObject *word = PyDict_GetItemWithError(rules->plain_words, text);
    if (word == NULL && PyErr_Occurred())
        return NULL;
    *maybe_two = PySet_Contains(rules->yaml11_words, text);
    if (*maybe_two < 0)
        return NULL;
    return Py_NewRef(word != NULL ? word : text);
}

static int holds_template(const yaml_event_t *event)
{
    const char *text = (const char *)event->data.scalar.value;
    size_t length = event->data.scalar.length;
    for (size_t i = 0; i + 1 < length; i++)
        if (text[i] == '{' && (text[i + 1] == '{' || text[i + 1] == '%'))
            return 1;
    return 0;
}

/* Values this short often repeat (`compute: duckdb`, names in `dependsOn`): one str
 * object per distinct text saves memory (the Python path holds one per occurrence;
 * equal strs are interchangeable). Returns a new reference. */
#define SHARED_TEXT_MAX 64

static PyObject *value_text(Load *load, const yaml_event_t *event)
{
    PyObject *text = PyUnicode_DecodeUTF8((const char *)event->data.scalar.value,
                                          (Py_ssize_t)event->data.scalar.length, "strict");
    if (text == NULL || event->data.scalar.length > SHARED_TEXT_MAX)
        return text;
    PyObject *shared = PyDict_SetDefault(load->text_cache, text, text); /* borrowed */
    Py_XINCREF(shared);
    Py_DECREF(text);
    return shared;
}

/* A scalar value (not a key): resolve it, note where it is, attach it. */
static int scalar_value(Load *load, const yaml_event_t *event)
{
    int64_t packed = pack(&event->start_mark);
    PyObject *part = NULL, *text = NULL, *value = NULL, *path = NULL;
    int status = FAIL;
    int maybe_two = 0;
    if (place(load, packed, &part) == FAIL)
        goto done;
    text = value_text(load, event);
    if (text == NULL)
        goto done;
    if (event->data.scalar.plain_implicit) {
        value = resolve_plain(load, text, event, &maybe_two);
        if (value == NULL || maybe_two < 0)
            goto done;
    } else {
        value = Py_NewRef(text); /* quoted or block: text */
    }
    if (maybe_two) {
        path = path_of(load, part);
        PyObject *where = path == NULL ? NULL : Py_BuildValue(
            "(ii)", (int)event->start_mark.line + 1, (int)event->start_mark.column + 1);
        PyObject *reading = where == NULL ? NULL : PyTuple_Pack(4, text, value, where, path);
        Py_XDECREF(where);
        if (reading == NULL || PyList_Append(load->two_readings, reading)) {
            Py_XDECREF(reading);
            goto done;
        }
        Py_DECREF(reading);
    }
    if (PyUnicode_CheckExact(value) && holds_template(event)) {
        if (path == NULL && (path = path_of(load, part)) == NULL)
            goto done;
        if (PyList_Append(load->templated, path))
            goto done;
    }
    status = attach(load, value);
    value = NULL; /* stolen */
done:
    Py_XDECREF(part);
    Py_XDECREF(text);
    Py_XDECREF(value);
    Py_XDECREF(path);
    return status;
}

/* Whether ruamel.yaml.clib's libyaml (0.1.7 with most of 0.2.5's fixes) may scan this
 * scalar otherwise: inside [...] or {...} it ends a plain scalar at ':' and '?', which
 * libyaml 0.2.5 keeps in the text (`[12:30]`, `[a?b]`). */
static int scanned_otherwise(const Load *load, const yaml_event_t *event)
{
    const char *text = (const char *)event->data.scalar.value;
    size_t length = event->data.scalar.length;
    return load->flow_depth > 0 && event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
           && (memchr(text, ':', length) != NULL || memchr(text, '?', length) != NULL);
}

static int scalar(Load *load, const yaml_event_t *event)
{
    if (event->data.scalar.anchor != NULL || event->data.scalar.tag != NULL
        || scanned_otherwise(load, event))
        return BAIL;
    if (load->depth > 0) {
        Frame *top = &load->stack[load->depth - 1];
        if (top->is_map && top->key == NULL)
            return scalar_key(load, top, event);
    }
    return scalar_value(load, event);
}

/* A mapping or sequence starts: note its position and path, open its stores. */
static int collection_start(Load *load, const yaml_event_t *event, int is_map)
{
    const yaml_char_t *anchor = is_map ? event->data.mapping_start.anchor
                                       : event->data.sequence_start.anchor;
    const yaml_char_t *tag = is_map ? event->data.mapping_start.tag
                                    : event->data.sequence_start.tag;
    if (anchor != NULL || tag != NULL || load->depth >= load->rules->max_depth)
        return BAIL;
    if (load->depth > 0 && load->stack[load->depth - 1].is_map
        && load->stack[load->depth - 1].key == NULL)
        return BAIL; /* a collection as a key */
    PyObject *part = NULL;
    if (place(load, pack(&event->start_mark), &part) == FAIL)
        return FAIL;
    if (load->depth == 0)
        load->mapping = is_map;
    Frame *frame = &load->stack[load->depth];
    memset(frame, 0, sizeof(*frame));
    frame->is_map = is_map;
    frame->flow = is_map ? event->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                         : event->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    load->flow_depth += frame->flow;
    frame->part = part;
    load->depth++; /* from here on load_clear releases the frame */
    frame->result = is_map ? PyDict_New() : PyList_New(0);
    return frame->result == NULL ? FAIL : OK;
}

/* A collection's positions, as bytes. */
static PyObject *position_bytes(const Frame *frame)
{
    return PyBytes_FromStringAndSize((const char *)frame->positions,
                                     frame->count * (Py_ssize_t)sizeof(int64_t));
}

/* The shape of a mapping (key -> index), shared by every mapping with its keys in its
 * order. A borrowed reference. */
static PyObject *shape_of(Load *load, PyObject *mapping)
{
    PyObject *order = PySequence_Tuple(mapping); /* its keys, in order */
    if (order == NULL)
        return NULL;
    PyObject *shape = PyDict_GetItemWithError(load->shapes, order);
    if (shape == NULL && !PyErr_Occurred()) {
        shape = PyDict_New();
        for (Py_ssize_t i = 0; shape != NULL && i < PyTuple_GET_SIZE(order); i++)
            if (set_stolen(shape, PyTuple_GET_ITEM(order, i), PyLong_FromSsize_t(i)) == FAIL)
                Py_CLEAR(shape);
        if (shape != NULL && set_stolen(load->shapes, order, shape) == FAIL)
            shape = NULL; /* set_stolen released it */
    }
    Py_DECREF(order);
    return shape;
}

/* The number of children a collection has so far. */
static Py_ssize_t child_count(const Frame *frame)
{
    return frame->is_map ? frame->count / 2 : frame->count;
}

/* Pad a collection's children with None (scalars) up to `size`. */
static int pad_children(Frame *frame, Py_ssize_t size)
{
    while (PyList_GET_SIZE(frame->children) < size)
        if (PyList_Append(frame->children, Py_None))
            return FAIL;
    return OK;
}

/* A collection's store (positions.py gives the forms); a new reference. */
static PyObject *store_of(Load *load, Frame *frame)
{
    PyObject *shape = NULL, *children = NULL, *store = NULL;
    if (frame->is_map && (shape = shape_of(load, frame->result)) == NULL)
        return NULL;
    PyObject *positions = position_bytes(frame);
    if (positions == NULL)
        return NULL;
    if (frame->children != NULL) {
        if (pad_children(frame, child_count(frame)) == FAIL
            || (children = PyList_AsTuple(frame->children)) == NULL) {
            Py_DECREF(positions);
            return NULL;
        }
    }
    if (shape != NULL)
        store = children ? PyTuple_Pack(3, shape, positions, children)
                         : PyTuple_Pack(2, shape, positions);
    else
        store = children ? PyTuple_Pack(2, positions, children) : Py_NewRef(positions);
    Py_DECREF(positions);
    Py_XDECREF(children);
    return store;
}

/* Hand a finished collection's store to its parent, as its last child so far. Steals. */
static int adopt_store(Load *load, PyObject *store)
{
    if (store == NULL)
        return FAIL;
    if (load->depth == 1) {
        Py_XSETREF(load->top, store);
        return OK;
    }
    Frame *parent = &load->stack[load->depth - 2];
    if (parent->children == NULL && (parent->children = PyList_New(0)) == NULL) {
        Py_DECREF(store);
        return FAIL;
    }
    if (pad_children(parent, child_count(parent) - 1) == FAIL) {
        Py_DECREF(store);
        return FAIL;
    }
    int failed = PyList_Append(parent->children, store);
    Py_DECREF(store);
    return failed ? FAIL : OK;
}

static int collection_end(Load *load)
{
    Frame *frame = &load->stack[load->depth - 1];
    if (adopt_store(load, store_of(load, frame)) == FAIL)
        return FAIL;
    PyObject *value = Py_NewRef(frame->result);
    load->flow_depth -= frame->flow;
    frame_clear(frame);
    load->depth--;
    return attach(load, value);
}

static int document_start(Load *load, const yaml_event_t *event)
{
    if (++load->documents > 1)
        return BAIL; /* FLOE-E008 */
    if (event->data.document_start.version_directive != NULL
        || event->data.document_start.tag_directives.start
               != event->data.document_start.tag_directives.end)
        return BAIL;
    return OK;
}

static int handle(Load *load, const yaml_event_t *event)
{
    switch (event->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        return OK;
    case YAML_DOCUMENT_START_EVENT:
        return document_start(load, event);
    case YAML_SCALAR_EVENT:
        return scalar(load, event);
    case YAML_MAPPING_START_EVENT:
        return collection_start(load, event, 1);
    case YAML_SEQUENCE_START_EVENT:
        return collection_start(load, event, 0);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return collection_end(load);
    default: /* an alias, or nothing */
        return BAIL;
    }
}

/* Parse all of `utf8` into `load`. */
static int parse(Load *load, const char *utf8, Py_ssize_t length)
{
    yaml_parser_t parser;
    yaml_event_t event;
    int status = OK, done = 0;
    if (!yaml_parser_initialize(&parser)) {
        PyErr_NoMemory();
        return FAIL;
    }
    /* No yaml_parser_set_encoding: libyaml finds UTF-8 itself and skips a leading
     * byte-order mark without counting it, as ruamel.yaml.clib has it do. */
    yaml_parser_set_input_string(&parser, (const unsigned char *)utf8, (size_t)length);
    while (status == OK && !done) {
        if (!yaml_parser_parse(&parser, &event)) {
            status = BAIL; /* not YAML: the Python path words the error */
            break;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        status = handle(load, &event);
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    if (status == OK && load->documents != 1)
        status = BAIL; /* FLOE-E004 */
    return status;
}

static int read_rules(Rules *rules, PyObject *const *args)
{
    rules->is_credential_key = args[0];
    rules->resolve_number = args[1];
    rules->plain_words = args[2];
    rules->yaml11_words = args[3];
    if (!PyDict_Check(rules->plain_words) || !PyAnySet_Check(rules->yaml11_words)) {
        PyErr_SetString(PyExc_TypeError, "plain_words must be a dict, yaml11_words a set");
        return FAIL;
    }
    rules->number_first = PyUnicode_AsUTF8(args[4]);
    if (rules->number_first == NULL)
        return FAIL;
    rules->max_depth = PyLong_AsLong(args[5]);
    if (rules->max_depth == -1 && PyErr_Occurred())
        return FAIL;
    rules->max_word = 0;
    PyObject *words[2] = {rules->plain_words, rules->yaml11_words};
    for (int i = 0; i < 2; i++) {
        PyObject *iterator = PyObject_GetIter(words[i]), *word;
        if (iterator == NULL)
            return FAIL;
        while ((word = PyIter_Next(iterator)) != NULL) {
            if (PyUnicode_Check(word) && PyUnicode_GET_LENGTH(word) > rules->max_word)
                rules->max_word = PyUnicode_GET_LENGTH(word);
            Py_DECREF(word);
        }
        Py_DECREF(iterator);
        if (PyErr_Occurred())
            return FAIL;
    }
    return OK;
}

static PyObject *yamlfast_load(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "load takes 7 arguments");
        return NULL;
    }
    if (!PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "text must be a str");
        return NULL;
    }
    Rules rules;
    if (read_rules(&rules, args + 1) == FAIL)
        return NULL;
    rules.max_depth += 1; /* the Python path counts the top-level collection as level 0 */
    Py_ssize_t length;
    const char *utf8 = PyUnicode_AsUTF8AndSize(args[0], &length);
    if (utf8 == NULL) { /* lone surrogates: the Python path reports them */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    Load load;
    memset(&load, 0, sizeof(load));
    load.rules = &rules;
    load.stack = PyMem_Calloc((size_t)rules.max_depth + 1, sizeof(Frame));
    load.shapes = PyDict_New();
    load.templated = PyList_New(0);
    load.two_readings = PyList_New(0);
    load.key_cache = PyDict_New();
    load.text_cache = PyDict_New();
    load.empty_path = PyTuple_New(0);
    if (load.stack == NULL || load.shapes == NULL
        || load.templated == NULL || load.two_readings == NULL || load.key_cache == NULL
        || load.text_cache == NULL || load.empty_path == NULL) {
        load_clear(&load);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    int status = parse(&load, utf8, length);
    PyObject *result = NULL;
    if (status == OK) {
        result = Py_BuildValue("(OOOOOOO)", load.data ? load.data : Py_None,
                               load.root ? load.root : Py_None,
                               load.top ? load.top : Py_None, load.shapes,
                               load.templated, load.two_readings,
                               load.mapping ? Py_True : Py_False);
    } else if (status == BAIL) {
        result = Py_NewRef(Py_None);
    }
    load_clear(&load);
    return result;
}

static PyMethodDef methods[] = {
    {"load", (PyCFunction)(void (*)(void))yamlfast_load, METH_FASTCALL,
     "load(text, is_credential_key, resolve_number, plain_words, yaml11_words, "
     "number_first, max_depth) -> tuple | None\n\n"
     "Build a document of the common YAML subset; None when it is outside it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_yamlfast",
    "The loader's fast path: libyaml events to plain data and positions, in C.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__yamlfast(void)
{
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL)
        return NULL;
    if (PyModule_AddStringConstant(module, "LIBYAML_VERSION", yaml_get_version_string())) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
