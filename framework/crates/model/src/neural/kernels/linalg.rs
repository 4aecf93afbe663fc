//! Matrix products on `f32` slices (gemm), serial or split by rows.

use super::*;

/// A read-only matrix view: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    pub(super) data: &'a [f32],
    pub(super) rs: usize,
    pub(super) cs: usize,
}

impl<'a> View<'a> {
    /// Row-major with `cols` columns.
    pub(super) fn rows(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub(super) fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }

    pub(super) fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// `dst = a b` (`dst += a b` when `accumulate`); `a: m x k`, `b: k x n`,
/// `dst` row-major `m x n`.
pub(super) fn matmul(
    dst: &mut [f32],
    a: View<'_>,
    b: View<'_>,
    [m, n, k]: [usize; 3],
    accumulate: bool,
    parallelism: Parallelism,
) {
    assert!(dst.len() >= m * n, "matmul: destination too small");
    assert!(a.fits(m, k) && b.fits(k, n), "matmul: operand too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the asserts above keep every index gemm reads, `r * rs +
    // c * cs` for `r < rows, c < cols`, inside the operand slices and every
    // index it writes, `r * n + c`, inside `dst`; the slices do not overlap
    // because `dst` is borrowed mutably.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Output rows per task of [`par_matmul`]; fixed, so the result does not
/// depend on the number of threads.
pub(super) const MATMUL_ROWS: usize = 64;

/// [`matmul`] split into blocks of [`MATMUL_ROWS`] output rows run in
/// parallel (gemm's own splitting left a 2D product on one thread here).
pub(super) fn par_matmul(
    dst: &mut [f32],
    a: View<'_>,
    b: View<'_>,
    [m, n, k]: [usize; 3],
    accumulate: bool,
) {
    assert!(dst.len() >= m * n, "matmul: destination too small");
    assert!(a.fits(m, k), "matmul: operand too small");
    if m == 0 || n == 0 {
        return;
    }
    dst[..m * n]
        .par_chunks_mut(MATMUL_ROWS * n)
        .enumerate()
        .for_each(|(blk, d)| {
            let r0 = blk * MATMUL_ROWS;
            let rows = d.len() / n;
            let a_blk = View {
                data: &a.data[r0 * a.rs..],
                ..a
            };
            matmul(d, a_blk, b, [rows, n, k], accumulate, Parallelism::None);
        });
}
