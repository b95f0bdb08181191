"""Wrong solutions to chapter 7's exercises, as a learner writes them."""

import math

import numpy as np

# --- 7.1 split_train_val -------------------------------------------------------


def split_scaled_before_split(X, y, n_val, rng):
    X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1)
    order = rng.permutation(len(X))
    return X[order[n_val:]], y[order[n_val:]], X[order[:n_val]], y[order[:n_val]]


def split_val_standardised_alone(X, y, n_val, rng):
    idx = rng.permutation(len(X))
    Xtr, Xva = X[idx[n_val:]], X[idx[:n_val]]
    s_tr, s_va = Xtr.std(0), Xva.std(0)
    s_tr[s_tr == 0] = 1
    s_va[s_va == 0] = 1
    return ((Xtr - Xtr.mean(0)) / s_tr, y[idx[n_val:]],
            (Xva - Xva.mean(0)) / s_va, y[idx[:n_val]])


def split_forgot_val(X, y, n_val, rng):
    idx = rng.permutation(len(X))
    Xtr = X[idx[n_val:]]
    std = Xtr.std(axis=0)
    std[std == 0] = 1.0
    return (Xtr - Xtr.mean(axis=0)) / std, y[idx[n_val:]], X[idx[:n_val]], y[idx[:n_val]]


def split_val_at_end(X, y, n_val, rng):
    idx = rng.permutation(len(X))
    train, val = idx[:-n_val], idx[-n_val:]
    mu, sd = X[train].mean(0), X[train].std(0)
    sd = np.where(sd == 0, 1.0, sd)
    return (X[train] - mu) / sd, y[train], (X[val] - mu) / sd, y[val]


def split_constant_column_nan(X, y, n_val, rng):
    idx = rng.permutation(len(X))
    train, val = idx[n_val:], idx[:n_val]
    mu, sd = X[train].mean(0), X[train].std(0)
    return (X[train] - mu) / sd, y[train], (X[val] - mu) / sd, y[val]


def split_global_rng(X, y, n_val, rng):
    idx = np.random.default_rng(0).permutation(len(X))
    train, val = idx[n_val:], idx[:n_val]
    mu, sd = X[train].mean(0), X[train].std(0)
    sd = np.where(sd == 0, 1.0, sd)
    return (X[train] - mu) / sd, y[train], (X[val] - mu) / sd, y[val]


def split_std_plus_eps(X, y, n_val, rng):
    # review: a small epsilon instead of replacing a zero std by 1
    idx = rng.permutation(len(X))
    train, val = idx[n_val:], idx[:n_val]
    mu, sd = X[train].mean(0), X[train].std(0) + 1e-8
    return (X[train] - mu) / sd, y[train], (X[val] - mu) / sd, y[val]


def split_zero_test_on_all_rows(X, y, n_val, rng):
    # review: "is the column constant?" asked of all rows, not the training rows
    idx = rng.permutation(len(X))
    train, val = idx[n_val:], idx[:n_val]
    mu, sd = X[train].mean(0), X[train].std(0)
    sd = np.where(X.std(0) > 0, sd, 1.0)
    return (X[train] - mu) / sd, y[train], (X[val] - mu) / sd, y[val]

SPLIT = [
    (split_scaled_before_split, "statistics from all the data (leakage)"),
    (split_val_standardised_alone, "validation set scaled with its own statistics"),
    (split_forgot_val, "validation set not scaled"),
    (split_val_at_end, "validation rows taken from the end of the order"),
    (split_constant_column_nan, None),
    (split_global_rng, None),
    (split_std_plus_eps, None),
    (split_zero_test_on_all_rows, None),
]

# --- 7.2 initial_loss_by_hand -------------------------------------------------------


def loss_log10():
    return np.log10(26)


def loss_bits():
    return math.log(26, 2)


def loss_prob():
    return 1 / 26


def loss_mnist():
    return 2.302585


def loss_minus():
    return math.log(1 / 26)


def loss_rounded():
    return 3.26


def loss_typed_digits():
    # review: ln 26 worked out on a calculator and typed in
    return 3.258

INITIAL = [
    (loss_log10, "logarithm to base 10"),
    (loss_bits, "logarithm to base 2"),
    (loss_prob, "the probability instead of the loss"),
    (loss_mnist, "ln 10: ten classes"),
    (loss_minus, "sign error"),
    (loss_rounded, None),
    (loss_typed_digits, None),
]

# --- 7.3 evaluate_batches -------------------------------------------------------


def _ce_rows(z, yb):
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(yb)), yb]


def eval_average_of_batches(predict, X, y, batch_size):
    losses, accs = [], []
    for i in range(0, len(X), batch_size):
        z = predict(X[i:i + batch_size])
        losses.append(_ce_rows(z, y[i:i + batch_size]).mean())
        accs.append((z.argmax(1) == y[i:i + batch_size]).mean())
    return float(np.mean(losses)), float(np.mean(accs))


def eval_full_batches_only(predict, X, y, batch_size):
    n_batches = len(X) // batch_size
    loss, hits = 0.0, 0
    for k in range(n_batches):
        sl = slice(k * batch_size, (k + 1) * batch_size)
        z = predict(X[sl])
        loss += _ce_rows(z, y[sl]).sum()
        hits += (z.argmax(1) == y[sl]).sum()
    n = max(n_batches * batch_size, 1)
    return loss / n, hits / n


def eval_hits(predict, X, y, batch_size):
    loss, hits = 0.0, 0
    for i in range(0, len(X), batch_size):
        z = predict(X[i:i + batch_size])
        loss += _ce_rows(z, y[i:i + batch_size]).sum()
        hits += int((z.argmax(1) == y[i:i + batch_size]).sum())
    return loss / len(X), float(hits)


def eval_total_loss(predict, X, y, batch_size):
    loss, hits = 0.0, 0
    for i in range(0, len(X), batch_size):
        z = predict(X[i:i + batch_size])
        loss += _ce_rows(z, y[i:i + batch_size]).sum()
        hits += int((z.argmax(1) == y[i:i + batch_size]).sum())
    return loss, hits / len(X)


def eval_naive_softmax(predict, X, y, batch_size):
    loss, hits = 0.0, 0
    for i in range(0, len(X), batch_size):
        z = predict(X[i:i + batch_size])
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        loss += -np.log(p[np.arange(len(z)), y[i:i + batch_size]] + 1e-12).sum()
        hits += int((z.argmax(1) == y[i:i + batch_size]).sum())
    return loss / len(X), hits / len(X)


def eval_all_at_once(predict, X, y, batch_size):
    z = predict(X)
    return float(_ce_rows(z, y).mean()), float((z.argmax(1) == y).mean())


def eval_float32(predict, X, y, batch_size):
    # review: logits cast to float32 "to save memory"
    loss, hits = 0.0, 0
    for i in range(0, len(X), batch_size):
        z = predict(X[i:i + batch_size]).astype(np.float32)
        loss += _ce_rows(z, y[i:i + batch_size]).sum()
        hits += int((z.argmax(1) == y[i:i + batch_size]).sum())
    return float(loss / len(X)), hits / len(X)


def eval_log_prob_plus_eps(predict, X, y, batch_size):
    # review: a stable softmax, then log(p + 1e-12) "to avoid log 0"
    loss, hits = 0.0, 0
    for i in range(0, len(X), batch_size):
        z = predict(X[i:i + batch_size])
        yb = y[i:i + batch_size]
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss -= np.log(p[np.arange(len(yb)), yb] + 1e-12).sum()
        hits += int((z.argmax(1) == yb).sum())
    return loss / len(X), hits / len(X)

EVALUATE = [
    (eval_average_of_batches, "mean of the batch means"),
    (eval_full_batches_only, "the last, short batch left out"),
    (eval_hits, "accuracy as a count"),
    (eval_total_loss, "loss summed, not averaged"),
    (eval_naive_softmax, None),
    (eval_all_at_once, None),
    (eval_float32, None),
    (eval_log_prob_plus_eps, None),
]

# --- 7.4 early_stopping -------------------------------------------------------


def stop_le(val_loss, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for i, v in enumerate(val_loss):
        if v <= best:
            best, best_epoch, bad = v, i + 1, 0
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, i + 1
    return best_epoch, len(val_loss)


def stop_zero_based(val_loss, patience):
    best, best_i, bad = float("inf"), -1, 0
    for i, v in enumerate(val_loss):
        if v < best:
            best, best_i, bad = v, i, 0
        else:
            bad += 1
            if bad == patience:
                return best_i, i
    return best_i, len(val_loss) - 1


def stop_gt_patience(val_loss, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, v in enumerate(val_loss, start=1):
        if v < best:
            best, best_epoch, bad = v, epoch, 0
        else:
            bad += 1
        if bad > patience:
            return best_epoch, epoch
    return best_epoch, len(val_loss)


def stop_never_reset(val_loss, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, v in enumerate(val_loss, start=1):
        if v < best:
            best, best_epoch = v, epoch
        else:
            bad += 1
            if bad == patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def stop_returns_stop_twice(val_loss, patience):
    best, bad = float("inf"), 0
    for epoch, v in enumerate(val_loss, start=1):
        if v < best:
            best, bad = v, 0
        else:
            bad += 1
            if bad == patience:
                return epoch, epoch
    return len(val_loss), len(val_loss)


def stop_compares_with_previous(val_loss, patience):
    best_epoch, bad = 1, 0
    for epoch in range(2, len(val_loss) + 1):
        if val_loss[epoch - 1] < val_loss[epoch - 2]:
            best_epoch, bad = epoch, 0
        else:
            bad += 1
            if bad == patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def stop_min_delta(val_loss, patience):
    # review: an improvement must beat the best by 1e-3 (Keras's min_delta)
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_loss, 1):
        if loss < best - 1e-3:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def stop_nan_counts_as_best(val_loss, patience):
    # review: "not worse" written as not (loss >= best): NaN passes it
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_loss, 1):
        if not loss >= best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def stop_last_of_tied_minima(val_loss, patience):
    # review: stop found correctly, best epoch by a reversed argmin (last tie)
    best, waited, stop = float("inf"), 0, len(val_loss)
    for epoch, loss in enumerate(val_loss, 1):
        if loss < best:
            best, waited = loss, 0
        else:
            waited += 1
            if waited == patience:
                stop = epoch
                break
    seen = np.array(val_loss[:stop])
    return stop - int(np.argmin(seen[::-1])), stop

EARLY = [
    (stop_le, "a tie counted as an improvement"),
    (stop_zero_based, "epochs counted from 0"),
    (stop_gt_patience, "stops one epoch late"),
    (stop_never_reset, "count not reset after an improvement"),
    (stop_returns_stop_twice, "the stopping epoch given as the best"),
    (stop_compares_with_previous, None),
    (stop_min_delta, None),
    (stop_nan_counts_as_best, None),
    (stop_last_of_tied_minima, None),
]

# --- 7.5 torch_train -------------------------------------------------------


def train_forgets_zero_grad(model, optimizer, batches, max_norm):
    import torch
    out = []
    for X, y in batches:
        loss = torch.nn.CrossEntropyLoss()(model(X), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        out.append(loss.item())
    return out


def train_clip_last(model, optimizer, batches, max_norm):
    import torch
    out = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        out.append(float(loss))
    return out


def train_without_clip(model, optimizer, batches, max_norm):
    import torch
    out = []
    for X, y in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        out.append(loss.item())
    return out


def train_zero_grad_late(model, optimizer, batches, max_norm):
    import torch
    out = []
    for X, y in batches:
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        model.zero_grad()
        optimizer.step()
        out.append(loss.item())
    return out


def train_softmax_first(model, optimizer, batches, max_norm):
    import torch
    out = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch.softmax(model(X), 1), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        out.append(loss.item())
    return out


def train_clip_value(model, optimizer, batches, max_norm):
    import torch
    out = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), max_norm)
        optimizer.step()
        out.append(loss.item())
    return out


def train_loss_after_step(model, optimizer, batches, max_norm):
    # review: the loss recorded after the update, recomputed
    import torch
    out = []
    for X, y in batches:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        with torch.no_grad():
            out.append(torch.nn.functional.cross_entropy(model(X), y).item())
    return out


def train_in_float32(model, optimizer, batches, max_norm):
    # review: PyTorch's default precision, forced onto the model
    import torch
    model.float()
    out = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X.float()), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        out.append(loss.item())
    model.double()
    return out

TORCH_TRAIN = [
    (train_forgets_zero_grad, "gradients never zeroed"),
    (train_clip_last, "gradients not clipped before the step"),
    (train_without_clip, None),
    (train_zero_grad_late, "gradients zeroed between backward and step"),
    (train_softmax_first, "softmax before cross_entropy"),
    (train_clip_value, None),
    (train_loss_after_step, None),
    (train_in_float32, None),
]

# --- 7.6 fixed_torch_loop -------------------------------------------------------


def loop_two_fixed_no_zero(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    model.train()
    losses = []
    for X, y in batches:
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def loop_two_fixed_softmax(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    model.train()
    losses = []
    for X, y in batches:
        optimizer.zero_grad()
        probs = torch.softmax(model(X), dim=1)
        loss = torch.nn.functional.cross_entropy(probs, y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def loop_two_fixed_order(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    model.train()
    losses = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        scheduler.step()
        optimizer.step()
        losses.append(loss.item())
    return losses


def loop_scheduler_deleted(model, optimizer, batches, gamma):
    import torch
    model.train()
    losses = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def loop_log_of_softmax(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    losses = []
    for X, y in batches:
        optimizer.zero_grad()
        logp = torch.log(torch.softmax(model(X), dim=1))
        loss = torch.nn.functional.nll_loss(logp, y) * 2
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def loop_scheduler_per_loop(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    losses = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    return losses


FIXED_LOOP = [
    (loop_two_fixed_no_zero, "zero_grad still missing"),
    (loop_two_fixed_softmax, "softmax still applied before cross_entropy"),
    (loop_two_fixed_order, "scheduler.step() still before optimizer.step()"),
    (loop_scheduler_deleted, "the scheduler never stepped"),
    (loop_log_of_softmax, None),
    (loop_scheduler_per_loop, None),
]

# --- 7.7 overfitting_runs -------------------------------------------------------


def over_wide():
    return "bd"


def over_d():
    return "d"


def over_big_data():
    return "ab"


def over_nothing():
    return ""


def over_everything():
    return "abcd"


def over_number():
    return 2


def over_spaced():
    return "c, d, b"


OVERFIT = [
    (over_wide, "the wide networks"),
    (over_d, "only the wide network on few rows"),
    (over_big_data, "the runs on all the data"),
    (over_nothing, "none of them"),
    (over_everything, "all of them"),
    (over_number, None),
    (over_spaced, None),
]

CATALOGUE = {
    "split_train_val": SPLIT,
    "initial_loss_by_hand": INITIAL,
    "evaluate_batches": EVALUATE,
    "early_stopping": EARLY,
    "torch_train": TORCH_TRAIN,
    "fixed_torch_loop": FIXED_LOOP,
    "overfitting_runs": OVERFIT,
}
