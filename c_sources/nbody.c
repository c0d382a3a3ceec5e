/* nbody: simulate the Sun and the four gas giants with a simple symplectic
 * (semi-implicit Euler) integrator and print the system energy before and
 * after.  Measures double-precision floating-point throughput (mul/add/div/
 * sqrt) with a tiny working set.
 *
 * Usage: nbody <steps>        (1 .. 500000000)
 * Output: energy before, energy after, each "%.9f\n".
 * Exit codes: 0 ok, 1 write error, 2 usage error.
 *
 * Floating-point operation order is fixed and mirrored exactly by the Python
 * reference in engine/references.py (build with -ffp-contract=off, no
 * -ffast-math), so the output is bit-for-bit reproducible:
 *   advance:  for each pair i < j (i outer, j inner, both ascending):
 *               dx = xi - xj  (likewise dy, dz)
 *               d2 = (dx*dx + dy*dy) + dz*dz
 *               mag = dt / (d2 * sqrt(d2))
 *               mj_mag = mj * mag;  mi_mag = mi * mag
 *               vi -= dx * mj_mag;  vj += dx * mi_mag   (per axis)
 *             then for each body ascending: x += dt * vx (per axis)
 *   energy:   e = 0; for each i ascending:
 *               e += 0.5 * mi * ((vx*vx + vy*vy) + vz*vz)
 *               for each j > i ascending: e -= (mi * mj) / sqrt(d2)
 *   momentum: p = sum over i ascending of (v * m); v_sun = -p / SOLAR_MASS
 *
 * Why it is fast: a step is one long chain of dependent operations, and the
 * slowest links are the ten square roots and ten divisions.  advance() is
 * laid out so the compiler can keep everything in vector registers:
 *   - a body's position and velocity are each one 4-lane vector (x, y, z and
 *     an unused lane that stays 0), so every per-axis statement above is a
 *     single vector operation (two on 128-bit SSE2 / wasm simd128);
 *   - all ten pair distances are computed first (positions do not change
 *     while velocities are updated, so the values are the same as when they
 *     are computed pair by pair), packed four pairs per vector, and the
 *     square roots, divisions and mass products run on whole vectors;
 *   - the loops have constant trip counts, so they unroll completely and
 *     the 5 positions and 5 velocities live in registers for the whole run.
 * Every value is still produced by the same IEEE operations on the same
 * operands as in the spec above (vector lanes are computed independently),
 * and each body's velocity still receives its pair contributions in pair
 * order, so the printed energies are unchanged.  Only clang vector
 * extensions are used, no target intrinsics: the same source builds for
 * x86-64 (SSE2 or AVX) and wasm32 with simd128.  A wasm32 build without
 * simd128 has no vector registers, and there the spare lanes and padded
 * pair groups would only be extra scalar work, so it uses the plain
 * pair-by-pair loop of the spec instead (same results).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "size_arg.h"

#define STEPS_MIN 1L
#define STEPS_MAX 500000000L
#define NBODIES 5
#define NPAIRS (NBODIES * (NBODIES - 1) / 2)
#define PAIR_GROUPS ((NPAIRS + 3) / 4) /* pairs packed 4 per vector */

#define PI 3.141592653589793
#define SOLAR_MASS (4.0 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define DT 0.01

struct body {
    double x, y, z;
    double vx, vy, vz;
    double mass;
};

/* Positions in AU, velocities in AU/day (scaled to AU/year), masses in solar
 * masses (scaled so that G = 1). */
static struct body bodies[NBODIES] = {
    /* Sun */
    {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SOLAR_MASS},
    /* Jupiter */
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
     -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
    /* Saturn */
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
     2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
    /* Uranus */
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
     -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
    /* Neptune */
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
     -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

#if defined(__wasm__) && !defined(__wasm_simd128__)
#define USE_VECTORS 0 /* no SIMD: the scalar loop is faster */
#else
#define USE_VECTORS 1
#endif

static void offset_momentum(struct body *b)
{
    double px = 0.0, py = 0.0, pz = 0.0;
    for (int i = 0; i < NBODIES; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / SOLAR_MASS;
    b[0].vy = -py / SOLAR_MASS;
    b[0].vz = -pz / SOLAR_MASS;
}

static double energy(const struct body *b)
{
    double e = 0.0;
    for (int i = 0; i < NBODIES; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x;
            double dy = b[i].y - b[j].y;
            double dz = b[i].z - b[j].z;
            e -= (b[i].mass * b[j].mass) / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

#if USE_VECTORS
/* The pairs in the spec's order: pair k is (PAIR_I[k], PAIR_J[k]). */
static const int PAIR_I[NPAIRS] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3};
static const int PAIR_J[NPAIRS] = {1, 2, 3, 4, 2, 3, 4, 3, 4, 4};

/* Four doubles; for a body: x, y, z and a spare lane that stays 0. */
typedef double vec4 __attribute__((vector_size(4 * sizeof(double))));

/* Run `steps` steps of the spec's advance() on b. */
static void advance(struct body *b, long steps)
{
    vec4 pos[NBODIES], vel[NBODIES];
    for (int i = 0; i < NBODIES; i++) {
        pos[i] = (vec4){b[i].x, b[i].y, b[i].z, 0.0};
        vel[i] = (vec4){b[i].vx, b[i].vy, b[i].vz, 0.0};
    }
    /* Per pair lane: mass of body i and of body j (0 in the spare lanes). */
    vec4 mass_i[PAIR_GROUPS], mass_j[PAIR_GROUPS];
    for (int k = 0; k < 4 * PAIR_GROUPS; k++) {
        mass_i[k / 4][k % 4] = k < NPAIRS ? b[PAIR_I[k]].mass : 0.0;
        mass_j[k / 4][k % 4] = k < NPAIRS ? b[PAIR_J[k]].mass : 0.0;
    }

    for (long s = 0; s < steps; s++) {
        vec4 delta[NPAIRS];
        vec4 d2[PAIR_GROUPS];
        for (int g = 0; g < PAIR_GROUPS; g++)
            d2[g] = (vec4){1.0, 1.0, 1.0, 1.0}; /* spare lanes: harmless 1.0 */
        for (int k = 0; k < NPAIRS; k++) {
            delta[k] = pos[PAIR_I[k]] - pos[PAIR_J[k]];
            vec4 sq = delta[k] * delta[k];
            d2[k / 4][k % 4] = (sq[0] + sq[1]) + sq[2];
        }
        vec4 mj_mag[PAIR_GROUPS], mi_mag[PAIR_GROUPS];
        for (int g = 0; g < PAIR_GROUPS; g++) {
            vec4 mag = DT / (d2[g] * __builtin_elementwise_sqrt(d2[g]));
            mj_mag[g] = mass_j[g] * mag;
            mi_mag[g] = mass_i[g] * mag;
        }
        for (int k = 0; k < NPAIRS; k++) {
            vel[PAIR_I[k]] -= delta[k] * mj_mag[k / 4][k % 4];
            vel[PAIR_J[k]] += delta[k] * mi_mag[k / 4][k % 4];
        }
        for (int i = 0; i < NBODIES; i++)
            pos[i] += DT * vel[i];
    }

    for (int i = 0; i < NBODIES; i++) {
        b[i].x = pos[i][0];
        b[i].y = pos[i][1];
        b[i].z = pos[i][2];
        b[i].vx = vel[i][0];
        b[i].vy = vel[i][1];
        b[i].vz = vel[i][2];
    }
}
#else
/* Run `steps` steps of the spec's advance() on b, pair by pair. */
static void advance(struct body *b, long steps)
{
    for (long s = 0; s < steps; s++) {
        for (int i = 0; i < NBODIES; i++) {
            for (int j = i + 1; j < NBODIES; j++) {
                double dx = b[i].x - b[j].x;
                double dy = b[i].y - b[j].y;
                double dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = DT / (d2 * sqrt(d2));
                double mj_mag = b[j].mass * mag;
                double mi_mag = b[i].mass * mag;
                b[i].vx -= dx * mj_mag;
                b[i].vy -= dy * mj_mag;
                b[i].vz -= dz * mj_mag;
                b[j].vx += dx * mi_mag;
                b[j].vy += dy * mi_mag;
                b[j].vz += dz * mi_mag;
            }
        }
        for (int i = 0; i < NBODIES; i++) {
            b[i].x += DT * b[i].vx;
            b[i].y += DT * b[i].vy;
            b[i].z += DT * b[i].vz;
        }
    }
}
#endif

int main(int argc, char **argv)
{
    long steps = parse_size(argc, argv, "steps", STEPS_MIN, STEPS_MAX);

    offset_momentum(bodies);
    printf("%.9f\n", energy(bodies));
    advance(bodies, steps);
    printf("%.9f\n", energy(bodies));

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "nbody: write error on stdout\n");
        return 1;
    }
    return 0;
}
