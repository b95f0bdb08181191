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
    "04_momentum.ipynb": [
        ("ch04-title", "ch04-ravine", [
            ("about eight times fewer steps", "8.0 times fewer steps"),
        ]),
        ("ch04-ravine-read", "ch04-ravine", [
            ("needs 691 steps", "691 steps to 1e-6"),
            ("needs 86", "86 steps to 1e-6"),
            ("eight times fewer", "8.0 times fewer steps"),
            (r"$\sqrt\kappa = 10$", "sqrt(kappa) = 10"),
            ("its step is 1.7 times", "first step: 1.7 times"),
            ("by a factor 0.82 per step", "rate per step 0.82"),
            ("shrink by 0.98", "against 0.98"),
        ]),
        ("ch04-best", "ch04-roots", [
            ("the same rate 0.8182", "sqrt(mu_hb) = 0.8182"),
            ("from 0.6040 to 0.9802", "0.6040"),
            ("from 0.6040 to 0.9802", "0.9802"),
        ]),
        ("ch04-best", "ch04-ravine", [
            ("needed 86 steps", "86 steps to 1e-6"),
            (r"\approx 69$ the rate alone predicts", "predicts 69 steps"),
        ]),
        ("ch04-ex1-see", "ch04-ex1-see-code", [
            ("contracts by $2/3$ per step", "predicted r = 0.6667"),
        ]),
        ("ch04-measured-read", "ch04-measured-rates", [
            ("Heavy ball's, 0.8193", "measured 0.8193"),
            (r"$9/11 \approx 0.8182$", "predicted r = 0.8182"),
            ("slope 1.000 for gradient descent", "gradient descent 1.000"),
            ("about one half for heavy ball", "heavy ball 0.525"),
            ("from under 3 at", "10        69        26    2.7"),
            ("to over 20 at", "1000      6908       291   23.7"),
        ]),
        ("ch04-measured-read", "ch04-rate-map", [
            ("grid of 100 × 100", "of 10000 pairs"),
        ]),
        ("ch04-rate-map-read", "ch04-rate-map", [
            ("rate below 0.97", "predicted r < 0.97"),
            (r"$4.0\cdot10^{-4}$", "median 4.0e-04"),
            ("Of the 3275 pairs", "pairs beyond eta L = 2(1 + mu): 3275"),
            ("line, 3274", "measured r > 1: 3274"),
            ("its rate, 0.527", "r = 0.527"),
            ("0.820 — by about", "r = 0.820 (gradient descent)"),
            ("the theory's 0.519", "r = 0.519"),
        ]),
        ("ch04-filter-read", "ch04-filter", [
            ("passed in about one window", "limit after 10 steps"),
            ("passed in about one window", "window 1/(1 - mu) = 10 steps"),
        ]),
        ("ch04-forms-read", "ch04-forms", [
            (r"($10^{-16}$)", "4.4e-16"),
            (r"($10^{-16}$)", "5.6e-16"),
            ("step 31 is 0.131 of step 30", "step 31 / step 30 = 0.131"),
            ("0.926 of it", "step 31 / step 30 = 0.926"),
            ("(0.0245 against 0.2919)", "distance after 80 steps 0.0245"),
            ("(0.0245 against 0.2919)", "distance after 80 steps 0.2919"),
        ]),
        ("ch04-nesterov-damps", "ch04-nesterov-damp", [
            ("$1.36/L$ against", "lr L < 1.36 (Nesterov)"),
            ("against $3.8/L$", "< 3.8 (heavy ball)"),
        ]),
        ("ch04-sec-hurts", "ch04-overshoot", [
            (r"$\eta^\star L = 3.31", "lr_hb L = 3.31"),
            (r"$\mu > 0.65$", "needs momentum > 0.65"),
        ]),
        ("ch04-nesterov-read", "ch04-nesterov-damp", [
            (r"($1.0\cdot10^{-4}$ against 0.091)", "1.0e-04"),
            (r"($1.0\cdot10^{-4}$ against 0.091)", "9.1e-02"),
            ("(241 against\n269)", "241"),
            ("(241 against\n269)", "269"),
            (r"At $\eta L = 1.5$ heavy ball still converges",
             "heavy ball, lr L = 1.5: 258 steps"),
            ("Nesterov diverges", "Nesterov, lr L = 1.5: diverges"),
            ("envelopes predict", "sqrt(mu)^20 = 0.35"),
            ("envelopes predict", "sqrt(mu (1 - lr L))^20 = 3.4e-04"),
        ]),
        ("ch04-saddle-text", "ch04-saddle", [
            ("it needed 188", "1.100        188"),
            ("$1.316$ against", "1.316"),
            ("gradient descent's $1.1$", "1.100"),
            ("the root is $1.065$", "1.065"),
        ]),
        ("ch04-lessard-text", "ch04-lessard", [
            ("a cycle of three points",
             "-1.8024  2.1159  0.6465 -1.8024  2.1159  0.6465"),
            ("Gradient descent at its own safe rate converges",
             "x = 3.9e-11"),
        ]),
        ("ch04-hurts-read", "ch04-overshoot", [
            (r"(263 at $\mu = 0.9$", "0.900       0.9487            263"),
            ("1361 at 0.98)", "0.980       0.9899           1361"),
            ("85 to 96 of the first 200 steps", "126                  85"),
            ("85 to 96 of the first 200 steps", "263                  96"),
            ("against 4 at", "86                   4"),
            ("the same learning rate diverges", "diverges"),
        ]),
        ("ch04-hurts-read", "ch04-saddle", [
            ("(67 against 188)", "67"),
            ("(67 against 188)", "188"),
            ("within six steps", "289                283"),
            ("slower (289)", "289"),
        ]),
        ("ch04-sec-closing", "ch04-ravine", [
            ("needed 691 steps", "691 steps to 1e-6"),
            ("86\n  steps instead of 691", "86 steps to 1e-6"),
            ("691 against 86", "691 steps"),
            ("691 against 86", "86 steps"),
        ]),
        ("ch04-sec-closing", "ch04-measured-rates", [
            ("slopes 1.000 and 0.525\n  from",
             "gradient descent 1.000, heavy ball 0.525"),
            ("2.7 at $\\kappa = 10$", "2.7"),
            ("23.7 at $\\kappa = 1000$", "23.7"),
            ("log–log slopes 1.000 and 0.525. What", "heavy ball 0.525"),
        ]),
        ("book/faq.md", "ch04-measured-rates", [
            ("86 steps instead of 691", "691        86"),
            ("grows from 2.7 to 23.7", "26    2.7"),
            ("grows from 2.7 to 23.7", "291   23.7"),
            ("log–log slopes 1.000 and 0.525",
             "gradient descent 1.000, heavy ball 0.525"),
        ]),
    ],
    "05_adaptive.ipynb": [
        ("ch05-bowls-read", "ch05-bowls", [
            (r"into $1.0$: a", "-> 1.0 after"),
            ("$0.505$", "0.505"),
            (r"stays $100.0$", "-> 100.0 after"),
        ]),
        ("ch05-adagrad-shrink-read", "ch05-adagrad-shrink", [
            (r"slope is $-0.500$", "-0.500"),
        ]),
        ("ch05-sparse-read", "ch05-sparse", [
            ("0.017 under\nSGD", "0.017"),
            ("0.008 under AdaGrad", "0.008"),
            ("0.081 under AdaGrad against 0.188", "0.188    0.081"),
            ("(0.042 against\n0.054)", "0.042    0.054"),
        ]),
        ("ch05-rmsprop-read", "ch05-rmsprop-window", [
            ("10 steps for", "in 10 steps"),
            ("100 for $0.99$", "in 100 steps"),
            ("3.16 times the learning rate", "3.16 x lr"),
            ("ten times for $0.99$", "10.00 x lr"),
        ]),
        ("ch05-bias-read", "ch05-bias-table", [
            ("$(1-\\beta_1)/\\sqrt{1-\\beta_2} = 3.16$", "3.16"),
            ("more than six times", "6.52"),
        ]),
        ("ch05-sec-closing", "ch05-bias-table", [
            ("3.16 to 6.52 times", "3.16"),
            ("3.16 to 6.52 times", "6.52"),
        ]),
        ("ch05-eps-text", "ch05-scale", [
            (r"$1.1\times10^{-5}$", "1.1e-05"),
            (r"$1.000\,\eta$", "largest step / lr = 1.000"),
        ]),
        ("ch05-eps-text", "ch05-eps", [
            ("below about $10^{-4}$", "1e-04                 0.9999               0.7071"),
        ]),
        ("ch05-warmup-read", "ch05-warmup", [
            ("a mean peak of 20.76", "20.76"),
            ("a peak of 2.30", "2.30"),
            ("0.343 over the last 20", "0.343"),
            ("against 0.850", "0.850"),
        ]),
        ("ch05-reddi-read", "ch05-reddi", [
            ("$x = +1$", "+1.000"),
            ("$-0.993$", "-0.993"),
            ("$x = -1.000$", "default betas: x = -1.000"),
        ]),
        ("ch05-adamw-read", "ch05-adamw-run", [
            ("8 and 7 per\ncent", "( 8%)"),
            ("8 and 7 per\ncent", "( 7%)"),
            ("by 16 per cent", "(16%)"),
            ("by 93 per cent", "(93%)"),
            ("(0.957 to 0.960)", "0.957"),
            ("(0.957 to 0.960)", "0.960"),
        ]),
        ("ch05-choose-read", "ch05-choose", [
            ("Nesterov (0.050)", "0.050 ± 0.006"),
            ("SGD with momentum\n  (0.063)", "0.063 ± 0.009"),
            ("Adam (0.064)", "0.064 ± 0.004"),
            ("AdamW (0.065)", "0.065 ± 0.003"),
            ("(0.003 to 0.009)", "± 0.003"),
            ("(0.003 to 0.009)", "± 0.009"),
            ("RMSProp (0.127)", "0.127"),
            ("AdaGrad (0.137)", "0.137"),
            ("plain SGD (0.151)", "0.151"),
            ("(0.032, 0.032, 0.010)", "0.032"),
            ("(0.032, 0.032, 0.010)", "0.010    0.127"),
            ("Nesterov (0.316)", "0.316"),
            ("AdaGrad's (0.100)", "0.100    0.137"),
            ("a factor 4.95", "x 4.95"),
            ("a factor 1.13 to 1.29", "x 1.13"),
            ("a factor 1.13 to 1.29", "x 1.29"),
        ]),
        ("ch05-beale-read", "ch05-beale", [
            (r"$\eta \approx 0.46$", "best lr  0.464"),
            (r"$f \approx 3\cdot10^{-12}$", "3.3e-12"),
        ]),
        ("ch05-faq", "ch05-bowl-race", [
            ("needed 504 steps", "504 ( 1.000)"),
            ("AdaGrad 6 and RMSProp 73", "6 ( 1.000)"),
            ("AdaGrad 6 and RMSProp 73", "73 ( 0.022)"),
            ("(AdaGrad 391 steps, RMSProp 776)", "391 ( 1.000)"),
            ("(AdaGrad 391 steps, RMSProp 776)", "776 ( 0.010)"),
            ("(130 steps)", "130 ( 0.464)"),
            ("without it, 663", "663 ( 0.215)"),
        ]),
        ("ch05-faq", "ch05-choose", [
            ("(final losses 0.063 and 0.064)", "0.063"),
            ("(final losses 0.063 and 0.064)", "0.064"),
            ("Nesterov beat it (0.050)", "0.050"),
        ]),
        ("ch05-sec-closing", "ch05-adagrad-shrink", [
            (r"(slope $-0.500$", "-0.500"),
        ]),
        ("ch05-sec-closing", "ch05-bowls", [
            (r"$\kappa = 100$ unchanged", "-> 100.0 after"),
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
