"""M2m (Kim, Jeong & Shin, CVPR 2020): translate majority images into minority ones.

SMOTE and its family only recombine the few images a minority class has. M2m
brings in the diversity of the *other* classes: a synthetic sample of class
``k`` starts from a real image of a larger class and is moved, by a few
normalised gradient steps on a classifier ``g`` trained on the imbalanced data,
until ``g`` calls it ``k`` with confidence; if it does not, the sample falls
back to a copy of a real image of ``k`` (random over-sampling).

The plan holds the seed image (``base``), the fallback image (``neighbor``) and
the key of the random start (``gap``); :meth:`M2m.synthesize` runs the steps,
a pure function of the images, the plan and the fitted classifier.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
import torch
import torch.nn.functional as F
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from pixsmote._errors import UsageError
from pixsmote.sampling import Plan
from pixsmote.torch._network import NetworkOverSampler, resolve_random_state

__all__ = ["M2m", "M2mClassifier"]

# Rows translated at a time: the steps keep one batch of images and its
# gradients, ~1 MiB per 128 images of 28x28 in the default classifier.
_BATCH = 256


class M2mClassifier(nn.Module):
    """The default ``g``: three conv-BN-ReLU-pool stages and a linear layer.

    Takes ``(B, C, H, W)`` float images scaled to ``[0, 1]``; about 24k
    parameters at the default width and 9x fewer multiply-adds per 28x28
    image than ``small-cnn`` (1.9M against 18M). Measured on fmnist-deepsmote
    (one torch thread on a loaded 2-core EPYC): fit_plan, 10 epochs of
    training included, in 54 s; 2,000 plan rows translated with 10 steps each
    in 10 s.

    Parameters
    ----------
    in_channels : int
        Image channels (1 for grey, 3 for RGB).
    n_classes : int
        Number of logits.
    width : int, default=16
        Channels of the first stage; each further stage doubles them.
    """

    def __init__(self, in_channels: int, n_classes: int, width: int = 16):
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for i in range(3):
            out = width * 2**i
            layers += [
                nn.Conv2d(c, out, 3, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2) if i < 2 else nn.AdaptiveAvgPool2d(1),
            ]
            c = out
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.fc = nn.Linear(c, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


class M2m(NetworkOverSampler):
    """Over-sample images by major-to-minor translation (M2m).

    For each synthetic sample of class ``k`` (the counts come from
    ``sampling_strategy``, as in imbalanced-learn):

    1. **Plan.** A seed image ``x0`` is drawn among the classes larger than
       ``k``, each image of class ``c`` with weight
       ``p = 1 - beta ** (N_c - N_k)``, and kept as a seed with probability
       ``p`` (the paper's rejection, which favours seeds from much larger
       classes); a fallback image of ``k`` is drawn uniformly. A seed that is
       not kept makes the sample a plain copy of the fallback.
    2. **Translate.** From ``x0`` plus a random start of L2 norm ``noise``,
       ``steps`` gradient steps of L2 length ``step_size`` lower the
       classifier's cross-entropy for ``k`` (pixels in ``[0, 1]``, clipped
       after each step).
    3. **Accept.** If ``g`` then gives ``k`` a probability of at least
       ``gamma``, the translated image is the sample, else the fallback copy.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn: the target class counts after resampling.
    random_state : int, RandomState instance or None, default=None
        Seeds the classifier's training and the plan (seeds, fallbacks and
        random starts). On CPU the same seed gives the same images.
    classifier : torch.nn.Module, optional
        A trained ``g`` to use as it is: ``(B, C, H, W)`` float images scaled
        to ``[0, 1]`` in, logits out, one per class in the order of
        ``np.unique(y)``. Default: an :class:`M2mClassifier` trained here on
        the imbalanced data with plain cross-entropy (the paper's ``g`` is
        such a model, trained by ERM).
    classifier_epochs : int, default=10
        Passes of the default classifier over the data (Adam, lr 1e-3, batch
        128; no augmentation): ``n_samples`` images per pass.
    classifier_sampling : {"balanced", "natural"}, default="balanced"
        How the default classifier draws its images. ``"natural"``: each
        image once per pass, the imbalanced data as it is (the paper's ERM
        ``g``). ``"balanced"``: classes drawn uniformly, images within a class
        uniformly with replacement. On fmnist-deepsmote (training data, seed
        0, the other settings at their defaults) the natural ``g`` accepted
        none of 120 translations into Shirt; with 30 or 50 steps its
        probability of Shirt, Sneaker or Ankle boot stayed below 0.75 for 90 %
        of 100 seeds each. The balanced ``g`` accepted 2,072 of 2,863 into
        Shirt, 828 of 3,007 into Bag and 1-18 % into the other classes.
    width : int, default=16
        First-stage channels of the default classifier.
    steps : int, default=10
        Gradient steps per translation (the paper's ``T``).
    step_size : float, default=0.1
        L2 length of each step, in ``[0, 1]`` pixel units (the paper's ``eta``).
    noise : float, default=0.5
        L2 norm of the random start (the released code's 0.5); 0 starts from
        the seed itself.
    gamma : float, default=0.9
        Probability of class ``k`` the classifier must give a translation for
        it to be kept.
    beta : float, default=0.999
        Seed rejection: a seed of class ``c`` is kept with probability
        ``1 - beta ** (N_c - N_k)``.
    device : str, default="cpu"
        Where the classifier trains and translates.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of samples to generate per class.
    plan_ : Plan
        Per synthetic sample: class, seed index (``base``), fallback index
        (``neighbor``) and the key of its random start (``gap``). Rows with
        ``base == neighbor`` are copies (their seed was rejected).
    sample_indices_ : ndarray of int64
        Indices of the original samples kept (all of them).
    classifier_ : torch.nn.Module
        ``g``, in eval mode, on ``device``.
    classes_ : ndarray
        The labels, in the order of the classifier's outputs.
    history_ : list of dict
        Per epoch of the default classifier: ``loss``, ``accuracy`` (on the
        training data, in training mode) and ``time_s``; empty when given.
    translated_ : dict
        Filled by each :meth:`synthesize` call: ``attempted`` (rows with a kept
        seed) and ``accepted`` (translations kept) per class.

    Notes
    -----
    The paper translates on the fly inside the training loop and adds
    ``lambda`` times the *training* model's logit of the seed's class to the
    loss, so that the sample also leaves the seed's class for the model being
    trained. A sampler runs before training, so this one translates once,
    with ``g`` alone (``lambda = 0``), and its samples are a fixed set like
    any sampler's. The seed is drawn from the whole training set rather than
    from the current mini-batch.

    References
    ----------
    .. [1] J. Kim, J. Jeong, J. Shin, "M2m: Imbalanced Classification via
       Major-to-minor Translation", CVPR 2020, 13896-13905.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote.torch import M2m
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8)
    >>> y = np.array([0] * 45 + [1] * 15)
    >>> X_res, y_res = M2m(random_state=0, classifier_epochs=1).fit_resample(X, y)
    >>> X_res.shape, X_res.dtype, np.bincount(y_res).tolist()
    ((90, 8, 8), dtype('uint8'), [45, 45])
    """

    _plan_state = ("plan_", "sample_indices_", "_y")
    _unit_images = True

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ["random_state"],
        "classifier": [nn.Module, None],
        "classifier_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "classifier_sampling": [StrOptions({"balanced", "natural"})],
        "width": [Interval(numbers.Integral, 1, None, closed="left")],
        "steps": [Interval(numbers.Integral, 0, None, closed="left")],
        "step_size": [Interval(numbers.Real, 0, None, closed="left")],
        "noise": [Interval(numbers.Real, 0, None, closed="left")],
        "gamma": [Interval(numbers.Real, 0, 1, closed="both")],
        "beta": [Interval(numbers.Real, 0, 1, closed="neither")],
        "device": [str, torch.device],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        classifier=None,
        classifier_epochs=10,
        classifier_sampling="balanced",
        width=16,
        steps=10,
        step_size=0.1,
        noise=0.5,
        gamma=0.9,
        beta=0.999,
        device="cpu",
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.classifier = classifier
        self.classifier_epochs = classifier_epochs
        self.classifier_sampling = classifier_sampling
        self.width = width
        self.steps = steps
        self.step_size = step_size
        self.noise = noise
        self.gamma = gamma
        self.beta = beta
        self.device = device

    # ------------------------------------------------------------------ API
    def fit_plan(self, X, y):
        """Train (or take) the classifier and draw the plan; translate nothing.

        Returns
        -------
        sample_indices : ndarray of int64
            ``arange(n_samples)``: every original is kept.
        plan : Plan
            Pass it with ``X`` to :meth:`synthesize`, whole or in chunks.
        """
        X, y = self._check_images(X, y)
        rs = resolve_random_state(self.random_state)
        # The classifier's seed first, whether or not it is trained, so the
        # plan's draws do not depend on it.
        s_train = int(rs.randint(0, 2**31 - 1))
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        device = torch.device(self.device)
        if self.classifier is None:
            self.classifier_, self.history_ = self._train(X, y_idx, s_train, device)
        else:
            self.classifier_ = self.classifier.to(device).eval()
            self.history_ = []
        self._y = y
        self.plan_ = self.draw_plan(rs)
        self.sample_indices_ = np.arange(len(X), dtype=np.int64)
        return self.sample_indices_, self.plan_

    def draw_plan(self, random_state) -> Plan:
        """A new plan from the fitted data and classifier (no retraining).

        Parameters
        ----------
        random_state : int, RandomState instance or None
            An int gives the same plan each time; a ``RandomState`` continues.

        Returns
        -------
        plan : Plan
        """
        rs = resolve_random_state(random_state)
        y = self._y
        labels, counts = np.unique(y, return_counts=True)
        size = dict(zip(labels.tolist(), counts.tolist(), strict=True))
        own_size = counts[np.searchsorted(labels, y)].astype(float)  # N_c per image
        parts = []
        for cls, n in self.sampling_strategy_.items():
            if n == 0:
                continue
            own = np.flatnonzero(y == cls).astype(np.int64)
            fallback = own[rs.randint(0, len(own), size=n)]
            # Each image's weight as a seed: 1 - beta^(N_c - N_k) for larger
            # classes c, 0 for the others (Kim et al., eq. 5).
            gain = own_size - size[cls]
            weight = np.where(gain > 0, 1.0 - self.beta ** np.maximum(gain, 0), 0.0)
            gap = rs.uniform(size=n)
            if weight.sum() > 0:
                seed = rs.choice(len(y), size=n, p=weight / weight.sum())
                kept = rs.uniform(size=n) < weight[seed]
                base = np.where(kept, seed, fallback).astype(np.int64)
            else:  # the largest class: nothing to translate from
                base = fallback.copy()
            parts.append(Plan(np.full(n, cls), base, fallback, gap=gap))
        return Plan.concat(parts, y_dtype=y.dtype if len(y) else np.int64)

    def synthesize(self, X, plan: Plan, out=None, chunk_size: int | None = None):
        """Translate the seeds of ``plan``: the synthetic images.

        A pure function of ``X``, ``plan`` and the fitted classifier (eval
        mode; each row's random start comes from its ``gap``), so a plan can
        be translated whole, in chunks or in other processes. Same signature
        as :func:`pixsmote.sampling.synthesize`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            The images the plan indexes.
        plan : Plan
        out : ndarray, optional
            Of shape ``(len(plan), *X.shape[1:])`` and dtype ``X.dtype``.
        chunk_size : int, optional
            Plan rows translated at a time (default 256).

        Returns
        -------
        out : ndarray of shape (len(plan), *X.shape[1:]), dtype of ``X``
        """
        if not hasattr(self, "classifier_"):
            raise UsageError(
                "synthesize needs a fitted M2m (call fit_plan or fit_resample "
                "first). Got an unfitted sampler instead."
            )
        X = np.asarray(X)
        out = self._synthesis_out(X, plan, out)
        tried = plan.base != plan.neighbor
        accepted = np.zeros(len(plan), dtype=bool)
        if len(plan):
            out[:] = X[plan.neighbor]  # every row starts as its fallback copy
        todo = np.flatnonzero(tried)
        target = np.searchsorted(self.classes_, plan.cls)
        rows = chunk_size or _BATCH
        for s in range(0, len(todo), rows):
            r = todo[s : s + rows]
            x, ok = self._translate(X[plan.base[r]], target[r], plan.gap[r])
            out[r[ok]] = self._from_unit(x[ok], X.dtype, X.shape[1:])
            accepted[r[ok]] = True
        self.translated_ = {
            c: {"attempted": int(tried[plan.cls == c].sum()),
                "accepted": int(accepted[plan.cls == c].sum())}
            for c in np.unique(plan.cls).tolist()
        }  # fmt: skip
        return out

    # -------------------------------------------------------------- helpers
    def _translate(self, seeds, target, keys):
        """The translated images (unit scale) and whether each was accepted."""
        g = self.classifier_
        x0 = self._to_unit(seeds)
        if self.noise > 0:
            # One generator per row, keyed by the plan: chunking does not
            # change the start (the released code: an L2 ball of radius 0.5).
            starts = []
            for key in keys.tolist():
                gen = torch.Generator().manual_seed(int(key * 2**53))
                d = torch.randn(x0.shape[1:], generator=gen)
                starts.append(d * (self.noise / d.norm().clamp_min(1e-12)))
            x0 = (x0 + torch.stack(starts).to(x0.device)).clamp(0, 1)
        t = torch.as_tensor(target, dtype=torch.int64, device=x0.device)
        x = x0
        with torch.enable_grad():
            for _ in range(self.steps):
                x = x.detach().requires_grad_(True)
                loss = F.cross_entropy(g(x), t, reduction="sum")
                (grad,) = torch.autograd.grad(loss, [x])
                norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12)
                step = grad / norm.view(-1, *([1] * (grad.ndim - 1)))
                x = (x - self.step_size * step).clamp(0, 1)
        with torch.no_grad():
            x = x.detach()
            prob = torch.softmax(g(x), dim=1).gather(1, t[:, None])[:, 0]
        return x, (prob >= self.gamma).cpu().numpy()

    def _train(self, X, y_idx, seed, device):
        gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = M2mClassifier(self._channels(X), len(self.classes_), self.width)
        net = net.to(device)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        target = torch.as_tensor(y_idx, dtype=torch.int64)
        history = []
        for _ in range(self.classifier_epochs):
            t0 = time.perf_counter()
            net.train()
            order = self._epoch_order(y_idx, gen)
            total, correct, n = 0.0, 0, 0
            for s in range(0, len(order), 128):
                b = order[s : s + 128]
                xb = self._to_unit(X[b])
                yb = target[b].to(device)
                logits = net(xb)
                loss = F.cross_entropy(logits, yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(b)
                correct += int((logits.argmax(1) == yb).sum())
                n += len(b)
            history.append(
                {"loss": total / n, "accuracy": correct / n,
                 "time_s": time.perf_counter() - t0}
            )  # fmt: skip
        for p in net.parameters():
            p.requires_grad_(False)  # only the images' gradients are needed
        return net.eval(), history

    def _epoch_order(self, y_idx, gen: torch.Generator) -> np.ndarray:
        """One pass of the default classifier: ``len(y_idx)`` image indices."""
        n = len(y_idx)
        if self.classifier_sampling == "natural":
            return torch.randperm(n, generator=gen).numpy()
        counts = np.bincount(y_idx)
        weight = torch.as_tensor(1.0 / counts[y_idx], dtype=torch.float64)
        return torch.multinomial(weight, n, replacement=True, generator=gen).numpy()

    @staticmethod
    def _channels(X) -> int:
        return 1 if X.ndim == 3 else int(X.shape[3])
