/* nbody: simulate the Sun and the four gas giants with a simple symplectic
 * (semi-implicit Euler) integrator and print the system energy before and
 * after.  Measures scalar double-precision floating-point throughput
 * (mul/add/div/sqrt) with a tiny working set.
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
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "size_arg.h"

#define STEPS_MIN 1L
#define STEPS_MAX 500000000L
#define NBODIES 5

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

static void advance(struct body *b, double dt)
{
    for (int i = 0; i < NBODIES; i++) {
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x;
            double dy = b[i].y - b[j].y;
            double dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
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
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

int main(int argc, char **argv)
{
    long steps = parse_size(argc, argv, "steps", STEPS_MIN, STEPS_MAX);

    offset_momentum(bodies);
    printf("%.9f\n", energy(bodies));
    for (long s = 0; s < steps; s++)
        advance(bodies, DT);
    printf("%.9f\n", energy(bodies));

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "nbody: write error on stdout\n");
        return 1;
    }
    return 0;
}
