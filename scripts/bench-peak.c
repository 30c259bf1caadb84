/* Attainable single-core FP32 peak: 12 independent AVX-512 FMA chains (enough to cover
 * FMA latency on two pipes). Built and run by scripts/bench-embed.sh when gcc and
 * AVX-512 are present; prints GFLOP/s as JSON. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
#define F(x) x = _mm512_fmadd_ps(x, a, b)
int main(void) {
  __m512 r0=_mm512_set1_ps(0),r1=_mm512_set1_ps(1),r2=_mm512_set1_ps(2),r3=_mm512_set1_ps(3),r4=_mm512_set1_ps(4),r5=_mm512_set1_ps(5),r6=_mm512_set1_ps(6),r7=_mm512_set1_ps(7),r8=_mm512_set1_ps(8),r9=_mm512_set1_ps(9),r10=_mm512_set1_ps(10),r11=_mm512_set1_ps(11);
  __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
  long iters = 200000000; struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long n = 0; n < iters; n++) { F(r0);F(r1);F(r2);F(r3);F(r4);F(r5);F(r6);F(r7);F(r8);F(r9);F(r10);F(r11); __asm__ volatile("" : "+v"(r0), "+v"(r5)); }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r0,r1),_mm512_add_ps(r2,r3)),_mm512_add_ps(_mm512_add_ps(r4,r5),_mm512_add_ps(r6,r7)));
  t = _mm512_add_ps(t,_mm512_add_ps(_mm512_add_ps(r8,r9),_mm512_add_ps(r10,r11)));
  printf("{\"fma512_gflops_1core\": %.1f, \"seconds\": %.2f, \"sink\": %g}\n", iters * 12.0 * 32.0 / s / 1e9, s, _mm512_reduce_add_ps(t));
  return 0;
}
