/*
 * The confident joint's pass over pred_probs, fused: one read of each row computes what the
 * numpy path (cleanlearn/_core/confident_joint.py, guess_true_labels) computes with a dozen
 * numpy calls per block of rows, each a pass of its own over the block.
 *
 * Optional: setup.py builds it when a C compiler is available (Extension(optional=True));
 * without it the numpy path runs. Both give the same results bit for bit (the tests run
 * both): every value written here is the one numpy computes, by the same IEEE operations in
 * the same order. The only values computed in another order are the row sums of the value
 * checks, which are compared with a tolerance that allows for it (and any NaN or inf
 * sends the caller to the plain check, which raises the error).
 *
 * No numpy headers: arrays arrive through the buffer protocol (C-contiguous), so the build
 * needs nothing but a C compiler and Python's headers. The GIL is released while a block is
 * processed, so threads over row ranges run in parallel.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The per-row reductions, with SSE2 (every x86-64 processor) or plain loops elsewhere (the
 * compiler does not vectorise these on its own: comparisons may trap and float reductions
 * are not associative, and we do not give it -ffast-math). Each returns exact values: counts,
 * and maxima and minima, which do not depend on the order (no NaN reaches a result that is
 * used: the value checks reject pred_probs with NaN before anything is counted). */
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif

/* n_confident = #{j : p[j] >= c[j]}; with check, the row sum (in float64, any order) and the
 * smallest entry. */
static inline Py_ssize_t count_f64(const double *p, const double *c, Py_ssize_t n, int check, double *sum,
                                   double *low)
{
    Py_ssize_t j = 0, count = 0;
    double s = 0, m = INFINITY;
#ifdef HAVE_SSE2
    __m128i counts = _mm_setzero_si128();
    __m128d sums = _mm_setzero_pd(), mins = _mm_set1_pd(INFINITY);
    for (; j + 2 <= n; j += 2) {
        const __m128d v = _mm_loadu_pd(p + j);
        counts = _mm_sub_epi64(counts, _mm_castpd_si128(_mm_cmpge_pd(v, _mm_loadu_pd(c + j))));
        if (check) {
            sums = _mm_add_pd(sums, v);
            mins = _mm_min_pd(mins, v);
        }
    }
    int64_t lanes[2];
    double values[2];
    _mm_storeu_si128((__m128i *)lanes, counts);
    count = (Py_ssize_t)(lanes[0] + lanes[1]);
    if (check) {
        _mm_storeu_pd(values, sums);
        s = values[0] + values[1];
        _mm_storeu_pd(values, mins);
        m = values[0] < values[1] ? values[0] : values[1];
    }
#endif
    for (; j < n; j++) {
        count += p[j] >= c[j];
        if (check) {
            s += p[j];
            m = p[j] < m ? p[j] : m;
        }
    }
    *sum = s;
    *low = m;
    return count;
}

/* float32 entries: c holds each float64 cutoff rounded up to float32, so that p >= c in
 * float32 says exactly what (double)p >= cutoff says (the comparison numpy makes). */
static inline Py_ssize_t count_f32(const float *p, const float *c, Py_ssize_t n, int check, double *sum,
                                   double *low)
{
    Py_ssize_t j = 0, count = 0;
    double s = 0;
    float m = INFINITY;
#ifdef HAVE_SSE2
    __m128i counts = _mm_setzero_si128();
    __m128d sums = _mm_setzero_pd();
    __m128 mins = _mm_set1_ps(INFINITY);
    for (; j + 4 <= n; j += 4) {
        const __m128 v = _mm_loadu_ps(p + j);
        counts = _mm_sub_epi32(counts, _mm_castps_si128(_mm_cmpge_ps(v, _mm_loadu_ps(c + j))));
        if (check) {
            sums = _mm_add_pd(sums, _mm_cvtps_pd(v));
            sums = _mm_add_pd(sums, _mm_cvtps_pd(_mm_movehl_ps(v, v)));
            mins = _mm_min_ps(mins, v);
        }
    }
    int32_t lanes[4];
    _mm_storeu_si128((__m128i *)lanes, counts);
    count = (Py_ssize_t)lanes[0] + lanes[1] + lanes[2] + lanes[3];
    if (check) {
        double values[2];
        float minima[4];
        _mm_storeu_pd(values, sums);
        s = values[0] + values[1];
        _mm_storeu_ps(minima, mins);
        for (int k = 0; k < 4; k++)
            m = minima[k] < m ? minima[k] : m;
    }
#endif
    for (; j < n; j++) {
        count += p[j] >= c[j];
        if (check) {
            s += p[j];
            m = p[j] < m ? p[j] : m;
        }
    }
    *sum = s;
    *low = m;
    return count;
}

/* max(p[start:stop]), -inf when empty. */
static inline double max_f64(const double *p, Py_ssize_t start, Py_ssize_t stop)
{
    Py_ssize_t j = start;
    double m = -INFINITY;
#ifdef HAVE_SSE2
    if (stop - start >= 4) {
        __m128d a = _mm_set1_pd(-INFINITY), b = a;
        for (; j + 4 <= stop; j += 4) {
            a = _mm_max_pd(a, _mm_loadu_pd(p + j));
            b = _mm_max_pd(b, _mm_loadu_pd(p + j + 2));
        }
        double values[2];
        _mm_storeu_pd(values, _mm_max_pd(a, b));
        m = values[0] > values[1] ? values[0] : values[1];
    }
#endif
    for (; j < stop; j++)
        m = p[j] > m ? p[j] : m;
    return m;
}

static inline float max_f32(const float *p, Py_ssize_t start, Py_ssize_t stop)
{
    Py_ssize_t j = start;
    float m = -INFINITY;
#ifdef HAVE_SSE2
    if (stop - start >= 8) {
        __m128 a = _mm_set1_ps(-INFINITY), b = a;
        for (; j + 8 <= stop; j += 8) {
            a = _mm_max_ps(a, _mm_loadu_ps(p + j));
            b = _mm_max_ps(b, _mm_loadu_ps(p + j + 4));
        }
        float values[4];
        _mm_storeu_ps(values, _mm_max_ps(a, b));
        for (int k = 0; k < 4; k++)
            m = values[k] > m ? values[k] : m;
    }
#endif
    for (; j < stop; j++)
        m = p[j] > m ? p[j] : m;
    return m;
}

/* Per row of K entries p[0..K-1] with given label y and float64 cutoffs (the numpy path's
 * comparison, see count_f32 for float32):
 *
 *   confident classes: p[j] >= cutoff[j]; the guess is the only confident class, or, with
 *     several, the first maximum of the row (np.argmax); the row is counted when one class is
 *     confident.
 *   other_max = max over j != y of p[j]; contested <=> other_max >= p[y] (another class
 *     scores at least the given one).
 *   normalized margin: (p[y] - other_max + 1) / 2 in the row's dtype (the reference's
 *     operations in its order).
 *   near_given (the post-filter): argmax(p + 1e-6 * onehot(y)) == y, i.e. with
 *     b = p[y] + 1e-6 (in the row's dtype): b > max_{j != y} p[j] wins, b < it loses, and a
 *     tie wins unless an entry before y equals b (np.argmax takes the first maximum).
 */
#define DEFINE_ROWS(NAME, T, CUTOFF_T, COUNT, MAX)                                            \
    static Py_ssize_t NAME(const T *probs, Py_ssize_t n_rows, Py_ssize_t n_classes,           \
                           const int64_t *labels, const CUTOFF_T *cutoffs, int guess_size,    \
                           char *guess, uint8_t *counted, uint8_t *contested, T *margins,    \
                           uint8_t *near_given, int64_t *off_diagonal, int64_t first_row,     \
                           int check_values, double *extremes)                                \
    {                                                                                         \
        Py_ssize_t n_off = 0;                                                                 \
        double lowest = INFINITY, highest_sum = -INFINITY, lowest_sum = INFINITY;             \
        int saw_nan = 0;                                                                      \
        const T near = (T)1e-6;                                                               \
        for (Py_ssize_t i = 0; i < n_rows; i++) {                                             \
            const T *p = probs + i * n_classes;                                               \
            const Py_ssize_t y = (Py_ssize_t)labels[i];                                       \
            const T given = p[y];                                                             \
            double sum, low;                                                                  \
            const Py_ssize_t n_confident = COUNT(p, cutoffs, n_classes, check_values, &sum, &low); \
            const int label_confident = given >= cutoffs[y];                                  \
            counted[i] = n_confident > 0;                                                     \
            if (n_confident > label_confident) {                                              \
                Py_ssize_t g = 0;                                                             \
                if (n_confident == 1) {                                                       \
                    while (!(p[g] >= cutoffs[g]))                                             \
                        g++;                                                                  \
                } else { /* np.argmax: the first maximum (the first NaN, if any) */           \
                    T best = p[0];                                                            \
                    if (best == best) {                                                       \
                        for (Py_ssize_t j = 1; j < n_classes; j++) {                          \
                            if (!(p[j] <= best)) { /* greater, or NaN */                      \
                                best = p[j];                                                  \
                                g = j;                                                        \
                                if (best != best)                                             \
                                    break;                                                    \
                            }                                                                 \
                        }                                                                     \
                    }                                                                         \
                }                                                                             \
                if (guess_size == 2)                                                          \
                    ((int16_t *)guess)[i] = (int16_t)g;                                       \
                else                                                                          \
                    ((int64_t *)guess)[i] = (int64_t)g;                                       \
                if (g != y)                                                                   \
                    off_diagonal[n_off++] = first_row + i;                                    \
            }                                                                                 \
            if (contested || margins || near_given) {                                         \
                const T before = MAX(p, 0, y), after = MAX(p, y + 1, n_classes);              \
                const T other_max = before > after ? before : after;                          \
                if (contested)                                                                \
                    contested[i] = other_max >= given;                                        \
                if (margins) {                                                                \
                    T margin = given - other_max;                                             \
                    margin = margin + (T)1;                                                   \
                    margins[i] = margin / (T)2;                                               \
                }                                                                             \
                if (near_given) {                                                             \
                    const T boosted = given + near;                                           \
                    uint8_t wins = boosted > other_max;                                       \
                    if (boosted == other_max) {                                               \
                        wins = 1;                                                             \
                        for (Py_ssize_t j = 0; j < y; j++)                                    \
                            if (p[j] == boosted)                                              \
                                wins = 0;                                                     \
                    }                                                                         \
                    near_given[i] = wins;                                                     \
                }                                                                             \
            }                                                                                 \
            if (check_values) {                                                               \
                /* NaN or inf make the sum non-finite -> the caller runs the plain check */   \
                if (sum != sum)                                                               \
                    saw_nan = 1;                                                              \
                if (sum > highest_sum)                                                        \
                    highest_sum = sum;                                                        \
                if (sum < lowest_sum)                                                         \
                    lowest_sum = sum;                                                         \
                if (low < lowest || low != low)                                               \
                    lowest = low;                                                             \
            }                                                                                 \
        }                                                                                     \
        if (saw_nan)                                                                          \
            highest_sum = lowest_sum = NAN;                                                   \
        extremes[0] = lowest;                                                                 \
        extremes[1] = highest_sum;                                                            \
        extremes[2] = lowest_sum;                                                             \
        return n_off;                                                                         \
    }

DEFINE_ROWS(rows_float64, double, double, count_f64, max_f64)
DEFINE_ROWS(rows_float32, float, float, count_f32, max_f32)

/* A buffer of `n` items of `itemsize` bytes (writable if asked), or NULL for None. */
static int get_buffer(PyObject *object, Py_buffer *view, int writable, Py_ssize_t n, Py_ssize_t itemsize,
                      const char *name, int *acquired)
{
    *acquired = 0;
    if (object == Py_None)
        return 0;
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0)
        return -1;
    *acquired = 1;
    if (view->itemsize != itemsize || view->len != n * itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd items of %zd bytes, got %zd bytes of items of %zd",
                     name, n, itemsize, view->len, view->itemsize);
        return -1;
    }
    return 0;
}

/* joint_rows(pred_probs, labels, cutoffs, guess, counted, contested, margins, near_given,
 *            off_diagonal, first_row, check_values) -> (n_off, lowest, highest_sum, lowest_sum)
 *
 * pred_probs: C-contiguous (n, K) float32 or float64; labels: (n,) int64 in 0..K-1;
 * cutoffs: (K,) float64; guess: (n,) int16 or int64, written only for the rows where a class
 * other than the label is confident (the others keep what they held); counted, and contested
 * and near_given unless None: (n,) bool; margins: None or (n,) of pred_probs' dtype;
 * off_diagonal: (n,) int64, its first n_off items receive first_row + i of the rows guessed
 * as another class than their label.
 */
static PyObject *joint_rows(PyObject *self, PyObject *args)
{
    PyObject *objects[9];
    long long first_row;
    int check_values;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOLp", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &objects[6], &objects[7], &objects[8], &first_row, &check_values))
        return NULL;
    Py_buffer views[9];
    int acquired[9] = {0};
    PyObject *result = NULL;
    Py_ssize_t n_rows, n_classes, item;
    double extremes[3];

    if (PyObject_GetBuffer(objects[0], &views[0], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    acquired[0] = 1;
    item = views[0].itemsize;
    /* "d" or "f", possibly with a byte-order prefix ("<d" from a .npy file): the caller
       passes only arrays in the machine's byte order */
    const char *format = views[0].format;
    const size_t format_length = format == NULL ? 0 : strlen(format);
    if (views[0].ndim != 2 || (item != 4 && item != 8) || format_length == 0 || format_length > 2 ||
        format[format_length - 1] != (item == 8 ? 'd' : 'f') || format[0] == '>' || format[0] == '!') {
        PyErr_SetString(PyExc_TypeError, "pred_probs: expected a 2-D float32 or float64 array");
        goto done;
    }
    n_rows = views[0].shape[0];
    n_classes = views[0].shape[1];
    if (n_classes < 1) {
        PyErr_SetString(PyExc_ValueError, "pred_probs: expected at least one column");
        goto done;
    }
    if (get_buffer(objects[1], &views[1], 0, n_rows, 8, "labels", &acquired[1]) < 0 ||
        get_buffer(objects[2], &views[2], 0, n_classes, 8, "cutoffs", &acquired[2]) < 0)
        goto done;
    if (objects[3] == Py_None || objects[4] == Py_None || objects[8] == Py_None) {
        PyErr_SetString(PyExc_TypeError, "guess, counted and off_diagonal are required");
        goto done;
    }
    if (PyObject_GetBuffer(objects[3], &views[3], PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0)
        goto done;
    acquired[3] = 1;
    if ((views[3].itemsize != 2 && views[3].itemsize != 8) || views[3].len != n_rows * views[3].itemsize) {
        PyErr_SetString(PyExc_ValueError, "guess: expected (n,) int16 or int64");
        goto done;
    }
    if (get_buffer(objects[4], &views[4], 1, n_rows, 1, "counted", &acquired[4]) < 0 ||
        get_buffer(objects[5], &views[5], 1, n_rows, 1, "contested", &acquired[5]) < 0 ||
        get_buffer(objects[6], &views[6], 1, n_rows, item, "margins", &acquired[6]) < 0 ||
        get_buffer(objects[7], &views[7], 1, n_rows, 1, "near_given", &acquired[7]) < 0 ||
        get_buffer(objects[8], &views[8], 1, n_rows, 8, "off_diagonal", &acquired[8]) < 0)
        goto done;
    {
        const int64_t *labels = (const int64_t *)views[1].buf;
        for (Py_ssize_t i = 0; i < n_rows; i++) { /* never read outside a row */
            if (labels[i] < 0 || labels[i] >= n_classes) {
                PyErr_Format(PyExc_ValueError, "labels: %lld at row %zd is not in 0..%zd",
                             (long long)labels[i], i, n_classes - 1);
                goto done;
            }
        }
    }
    Py_ssize_t n_off;
    float *cutoffs32 = NULL;
    if (item == 4) {
        /* each cutoff rounded up to float32: for a float32 p, p >= that is (double)p >= cutoff */
        cutoffs32 = PyMem_Malloc(n_classes * sizeof(float));
        if (cutoffs32 == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        const double *cutoffs = (const double *)views[2].buf;
        for (Py_ssize_t j = 0; j < n_classes; j++) {
            float rounded = (float)cutoffs[j];
            if ((double)rounded < cutoffs[j])
                rounded = nextafterf(rounded, INFINITY);
            cutoffs32[j] = rounded;
        }
    }
    Py_BEGIN_ALLOW_THREADS;
    if (item == 8)
        n_off = rows_float64((const double *)views[0].buf, n_rows, n_classes, (const int64_t *)views[1].buf,
                             (const double *)views[2].buf, (int)views[3].itemsize, (char *)views[3].buf,
                             (uint8_t *)views[4].buf, acquired[5] ? (uint8_t *)views[5].buf : NULL,
                             acquired[6] ? (double *)views[6].buf : NULL,
                             acquired[7] ? (uint8_t *)views[7].buf : NULL, (int64_t *)views[8].buf,
                             (int64_t)first_row, check_values, extremes);
    else
        n_off = rows_float32((const float *)views[0].buf, n_rows, n_classes, (const int64_t *)views[1].buf,
                             cutoffs32, (int)views[3].itemsize, (char *)views[3].buf,
                             (uint8_t *)views[4].buf, acquired[5] ? (uint8_t *)views[5].buf : NULL,
                             acquired[6] ? (float *)views[6].buf : NULL,
                             acquired[7] ? (uint8_t *)views[7].buf : NULL, (int64_t *)views[8].buf,
                             (int64_t)first_row, check_values, extremes);
    Py_END_ALLOW_THREADS;
    PyMem_Free(cutoffs32);
    result = Py_BuildValue("nddd", n_off, extremes[0], extremes[1], extremes[2]);
done:
    for (int k = 0; k < 9; k++)
        if (acquired[k])
            PyBuffer_Release(&views[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"joint_rows", joint_rows, METH_VARARGS,
     "The confident joint's per-row work on a block of rows, in one read of each row."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_joint_kernel", NULL, -1, methods};

PyMODINIT_FUNC PyInit__joint_kernel(void) { return PyModule_Create(&module); }
