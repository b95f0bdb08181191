"""Every number the prose quotes is the number its cell printed.

The chapters quote measured numbers ("22, 75 and 380 updates"); when code or
data change, the printout changes and the sentence must follow. This test
reads the executed chapters (``_build/executed``, written when nbval runs
them) and, for each quote below, finds the quoted text in the prose and the
number in the output of the cell that computed it. To check a notebook you
executed yourself: ``python tests/test_quoted_numbers.py path.ipynb``.
Numbers that depend on the machine (timings) are never quoted; counts,
losses and eigenvalues of seeded runs are.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = ROOT / "_build" / "executed"

# notebook: [(where the prose is: a markdown cell id or a book page,
#             the code cell that prints, [(text in the prose, number printed)])]
QUOTES = {
    "01_chain_rule.ipynb": [
        ("ch01-fd-regimes-read", "ch01-fd-regimes", [
            (r"$h = 9\times10^{-9}$", "at h = 9e-09"),
            (r"an error of $7\times10^{-8}$", "smallest error 7e-08"),
            (r"$h = 7\times10^{-6}$", "at h = 7e-06"),
            (r"$9\times10^{-12}$", "smallest error 9e-12"),
            (r"its error there, $10^{-7}$", "central error 1e-07"),
            (r"($7\times10^{-7}$ each)", "forward error 7e-07, central error 7e-07"),
        ]),
        ("ch01-patterns-scale", "ch01-patterns-code", [
            (r"$5 \cdot (-2) = -10$", "dL/dx =  -10.0"),
            (r"$5 \cdot 3 = 15$", "dL/dy =   15.0"),
        ]),
    ],
    "02_backprop.ipynb": [
        ("ch02-sec-softmax", "ch02-cat-revisited", [
            ("$p - y = (-0.79, 0.70, 0.09)$", "[-0.79  0.7   0.09]"),
            (r"$0.70 \times 0.9 = 0.63$", "[0.63"),
        ]),
        ("ch02-byhand-read", "ch02-byhand-compare", [
            (r"$3.2\times 10^{-9}$", "3.2e-09"),
            (r"$2.0\times 10^{-8}$", "2.0e-08"),
        ]),
        ("ch02-byhand-read", "ch02-stepsize-compute", [
            (r"$9.1\times 10^{-13}$", "error there 9.1e-13"),
        ]),
        ("ch02-stepsize-read", "ch02-stepsize-compute", [
            (r"$h = 6\times10^{-6}$", "best h = 6e-06"),
            (r"$3\times10^{-8}$ for the", "best h = 3e-08"),
            (r"$9.1\times10^{-13}$ and", "error there 9.1e-13"),
            (r"and $1.1\times10^{-9}$", "error there 1.1e-09"),
        ]),
        ("ch02-saturation-read", "ch02-saturation-code", [
            ("from 0.3006 unscaled", "0.3006"),
            ("to 0.0191", "0.0191"),
            ("85% of the units", "85%"),
            ("0.0002 when all of them", "100%            0.0002"),
        ]),
    ],
    "03_gradient_descent.ipynb": [
        ("ch03-newton-read", "ch03-newton-code", [
            ("$(0, 0)$", "lands at [0. 0.]"),
            ("10.0\nto 1.0", "kappa 10.0, with M = diag(A):  1.0"),
            ("10.0 to 7.9", "kappa 10.0, with M = diag(A):  7.9"),
        ]),
        ("ch03-noise-read", "ch03-noise-measure", [
            ("between 0.89 and 1.06", "0.89"),
            ("between 0.89 and 1.06", "1.06"),
        ]),
        ("ch03-range-read", "ch03-range-test", [
            ("its suggestion, 0.23", "suggested lr = 0.23"),
        ]),
        ("ch03-nonconvex-read", "ch03-saddle", [
            ("escapes at step 188", "leaves the saddle at step 188"),
            ("the predicted\n186", "186 steps"),
            ("median of 63 steps", "median of 63 steps"),
        ]),
        ("ch03-train-read", "ch03-train-three", [
            ("22, 75 and 380 updates", "22"),
            ("22, 75 and 380 updates", "75"),
            ("22, 75 and 380 updates", "380"),
            ("5.1 times as many updates", "need 5.1 times"),
            ("0.119 against 0.151", "0.119 / 0.151"),
        ]),
        ("ch03-lr-batch-read", "ch03-lr-batch-code", [
            ("from 0.16 to 0.64", "2    0.160"),
            ("from 0.16 to 0.64", "8    0.640"),
            ("stays at 0.08", "0.0800"),
            ("only doubles, to 1.28", "32    1.280"),
            ("0.035 at", "0.035"),
            ("0.683 at", "0.683"),
            ("17.6, 4.25 and 2.61", "B = 32: 17.6"),
            ("17.6, 4.25 and 2.61", "B = 128: 4.25"),
            ("17.6, 4.25 and 2.61", "B = 512: 2.61"),
        ]),
        ("ch03-robbins-monro-read", "ch03-robbins-monro", [
            ("up to only 5.7", "5.7"),
            ("constant rate's 300", "300.0"),
            ("only to 11.5", "steps: 11.5"),
            ("never passes 1.0", "never passes 1.0"),
            ("leaves\n0.0033", "keeps 0.0033"),
            ("0.3579 for the exponential", "keeps 0.3579"),
        ]),
        ("ch03-convex-bound-read", "ch03-convex-bound-code", [
            ("0.4180 against 1.3416", "0.4180"),
            ("0.4180 against 1.3416", "1.3416"),
            ("0.0007 against 0.0424", "0.0007"),
            ("0.0007 against 0.0424", "0.0424"),
            ("slope $-0.92$", "-0.92"),
        ]),
        ("ch03-sharpening-read", "ch03-sharpening-code", [
            (r"$\lambda_{\max} = 1.00$", "1.00"),
            (r"$2/\lambda_{\max} = 2.01$", "2.01"),
            ("is 1.54", "1.54"),
            (r"$2/\lambda_{\max} = 1.30$", "1.30"),
            ("after 16 steps it is 5.16", "5.16"),
            ("after step 11 (1.690)", "after step 11 (1.690)"),
            ("to 10.55", "highest 10.55"),
            ("is still 3.56", "3.56"),
        ]),
        ("ch03-sec-closing", "ch03-sharpening-code", [
            (r"($2/\lambda_{\max} = 2.01$)", "2.01"),
        ]),
        ("ch03-sec-closing", "ch03-lr-batch-code", [
            ("from 0.16 at $B = 2$ to 0.64 at $B = 8$", "0.160"),
            ("(1.28 from $B = 32$ on)", "1.280"),
        ]),
        ("book/faq.md", "ch03-sharpening-code", [
            ("grows from 1.00 at the start to 5.16 after 16 steps", "5.16"),
        ]),
    ],
    "06_vanishing_gradients.ipynb": [
        ("ch06-depth-profiles-read", "ch06-depth-profiles", [
            (r"a factor of about 0.24 per layer", "0.237"),
            (r"about 0.70 per layer", "0.695"),
            (r"ending $2.6 \times 10^{-5}$ down", "2.6e-05"),
        ]),
        ("ch06-stall-read", "ch06-stall", [
            ("layer by at least 8.7%", "8.7e-02"),
            (r"brought the loss down to about 0.43", "0.428"),
        ]),
        ("ch06-init-read", "ch06-init-scales", [
            (r"predict $1.8 \times 10^{-15}$", "1.8e-15"),
            (r"(measured $2.5 \times 10^{-8}$)", "2.5e-08"),
            (r"1 for He (measured 0.58)", "0.58"),
            (r"(measured $1.4 \times 10^{7}$)", "1.4e+07"),
        ]),
        ("ch06-tanh-gain-read", "ch06-tanh-gain", [
            (r"0.12 at layer 50", "0.115"),
            (r"a healthy 0.65", "0.646"),
        ]),
        ("ch06-default-read", "ch06-default-init", [
            (r"of 0.399 per layer", "0.399"),
        ]),
        ("ch06-dead-read", "ch06-dead", [
            (r"41, 37 and 54 of the 64", "[41, 37, 54]"),
            (r"Biases of −1 kill 15 units", "[15, 64, 64]"),
            (r"network's loss, 2.16", "2.156"),
        ]),
        ("ch06-residual-train-intro", "ch06-residual-profile", [
            (r"about $4 \times 10^{-12}$ of the", "4.33e-12"),
            (r"about 90 times *larger*", "88.7"),
        ]),
        ("ch06-residual-read", "ch06-residual-train", [
            (r"falls to about 0.45 in 200 steps", "0.452"),
        ]),
        ("ch06-norm-read", "ch06-norm-profiles", [
            (r"is about 3 times the", "2.9"),
            (r"to $2 \times", "1.9e-12"),
        ]),
        ("ch06-norm-effect", "ch06-bn-mode-demo", [
            (r"moved by 0.82", "0.82"),
        ]),
        ("ch06-rnn-read", "ch06-rnn-growth", [
            (r"multiplies it by 6.9", "6.85"),
        ]),
        ("ch06-spikes-read", "ch06-spikes", [
            (r"to a norm of 128", "128"),
            (r"ends at 2.31", "2.31"),
            (r"0.0017 and 0.017", "0.00169"),
            (r"0.0017 and 0.017", "0.0174"),
        ]),
        ("ch06-clip-loop", "ch06-clip-direction", [
            (r"by 40 degrees", "40.2"),
        ]),
        ("ch06-clip-lr-read", "ch06-clip-lr", [
            (r"between $+0.134$ and $-0.116$", "+0.1339"),
            (r"between $+0.134$ and $-0.116$", "-0.1161"),
        ]),
    ],
    "07_capstone.ipynb": [
        ("ch07-linear-read", "ch07-linear-baseline", [
            ("classifies 96.4% of the held-out digits", "8x8 digits 96.4%"),
            ("33.0% of MNIST-1D right", "MNIST-1D 33.0%"),
        ]),
        ("ch07-init-loss-read", "ch07-init-loss", [
            ("starts at a loss of 2.31", "initial loss 2.3113"),
        ]),
        ("ch07-overfit-read", "ch07-overfit-20", [
            (r"about $10^{-6}$", "loss 1.67e-06"),
        ]),
        ("ch07-range-read", "ch07-range-test", [
            ("at a learning rate of 0.385", "lr = 0.385"),
            (r"$\eta_0 = 0.096$", "lr0 = 0.096"),
        ]),
        ("ch07-fit-read", "ch07-fit", [
            ("Thirty epochs are 1,500 steps", "1500 steps"),
            ("a median of 1.00", "median 1.00"),
            ("largest value of 2.44", "largest 2.44"),
            ("acted on 0.4% of the steps", "clipped on 0.4%"),
        ]),
        ("ch07-reading-read", "ch07-reading-numbers", [
            ("epoch 8, at 1.136", "lowest 1.136 at epoch 8"),
            ("from 58.2% at", "58.2% at epoch 8"),
            ("its highest, 64.9%, at epoch 26", "highest 64.9% at epoch 26"),
            ("validation accuracy: 26 epochs", "at epoch 26"),
        ]),
        ("ch07-test-read", "ch07-test-once", [
            ("Trained for 26 epochs", "trained for 26 epochs"),
            ("classifies 60.6% of the 1,000 test", "accuracy 60.6%"),
        ]),
        ("ch07-test-read", "ch07-reading-numbers", [
            ("below the 64.9% the validation set", "highest 64.9%"),
        ]),
        ("ch07-compare-read", "ch07-compare-grid", [
            ("from 0.0032 (Adam)", "Adam      best lr 0.0032"),
            ("to 0.32 (SGD)", "SGD       best lr 0.3162"),
            ("at least 5.5 points", "smallest loss: 5.5 points (Adam)"),
        ]),
        ("ch07-compare-read", "ch07-compare-seeds", [
            ("ends last with 41.2%", "SGD        0.3162   41.2%"),
            ("(45.3% to 50.1%)", "RMSProp    0.0100   45.3%"),
            ("(45.3% to 50.1%)", "Nesterov   0.1000   50.1%"),
            ("is 0.7 to 4.4", "48.0% ± 0.7"),
            ("is 0.7 to 4.4", "45.3% ± 4.4"),
        ]),
        ("ch07-compare-read", "ch07-reading-numbers", [
            ("reaches\n64.9%", "highest 64.9%"),
        ]),
        ("ch07-torch-side-read", "ch07-torch-side", [
            (r"$4.4\times10^{-16}$", "weight difference 4.4e-16"),
            (r"$6.7\times10^{-16}$", "over the steps 6.7e-16"),
        ]),
        ("ch07-torch-conventions", "ch07-torch-float32", [
            (r"$1.8\times10^{-7}$", "weight difference 1.8e-07"),
        ]),
        ("book/faq.md", "ch07-compare-grid", [
            ("at least 5.5 points of accuracy", "smallest loss: 5.5 points"),
        ]),
        ("ch07-sec-closing", "ch07-torch-side", [
            (r"$4.4\times10^{-16}$ after 100 steps", "largest weight difference 4.4e-16"),
        ]),
    ],
}


def _printed(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "text/plain" in out.get("data", {}):
            parts.append(out["data"]["text/plain"])
    return "".join(parts)


def _number_in(number, text):
    """`number` in `text`, not as part of a longer number."""
    return re.search(r"(?<![\d.])" + re.escape(number) + r"(?![\d])", text)


def problems(nb, name):
    cells = {c.get("id"): c for c in nb.cells}
    found = []
    for prose_at, printed_by, quotes in QUOTES[name]:
        if prose_at.startswith("book/"):
            prose = (ROOT / prose_at).read_text(encoding="utf-8")
        else:
            prose = cells[prose_at].source
        printed = _printed(cells[printed_by])
        for quoted, number in quotes:
            if quoted not in prose:
                found.append(f"{prose_at} no longer says {quoted!r}")
            elif not _number_in(number, printed):
                found.append(f"{prose_at} says {quoted!r}, but {printed_by} did not "
                             f"print {number!r}:\n{printed}")
    return found


@pytest.mark.executed
@pytest.mark.parametrize("chapter", sorted(QUOTES))
def test_quoted_numbers_match_their_cells(chapter):
    path = EXECUTED / chapter
    assert path.exists(), f"{path} missing: run `make test` (nbval saves it)"
    found = problems(nbformat.read(path, as_version=4), chapter)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("chapter", sorted(QUOTES))
def test_every_quote_is_still_in_the_prose(chapter):
    """Without executing anything: the prose still contains each quote."""
    nb = nbformat.read(ROOT / "notebooks" / chapter, as_version=4)
    missing = [p for p in problems(nb, chapter) if "no longer says" in p]
    assert not missing, "\n".join(missing)


def test_a_number_is_not_found_inside_a_longer_one():
    assert _number_in("75", "updates 75 ms")
    assert not _number_in("75", "0.753")
    assert not _number_in("1.0", "11.05")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for problem in problems(nbformat.read(arg, as_version=4), Path(arg).name):
            print(f"{arg}: {problem}")
