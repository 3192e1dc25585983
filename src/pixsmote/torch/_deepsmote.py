"""DeepSMOTE (Dablain, Krawczyk & Chawla 2022): SMOTE in an autoencoder's latent space.

An encoder/decoder is trained on the training images; SMOTE draws its plan
among the *codes* of each class, and a synthetic image is the decoding of the
interpolated code. The plan keeps its meaning (base, neighbour, gap of the
interpolation, now in latent space), so provenance works unchanged; pixels come
from :meth:`DeepSMOTE.synthesize`, a pure function of the images, the plan and
the trained networks.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from torch import nn

from pixsmote._errors import DataError, UsageError
from pixsmote.sampling import Plan, list_samplers, resolve_k, share_counts
from pixsmote.torch._deepsmote_nets import (
    DeepSMOTEDecoder,
    DeepSMOTEEncoder,
)
from pixsmote.torch._network import NetworkOverSampler, resolve_random_state

__all__ = ["DeepSMOTE", "DeepSMOTEEncoder", "DeepSMOTEDecoder", "DeepSMOTEEpochs"]

# Codes and images are pushed through the networks this many at a time in
# eval mode (encoding, synthesis): 1,000 images of 28x28 take ~10 MiB of
# activations in the default networks.
_EVAL_BATCH = 1000


class DeepSMOTE(NetworkOverSampler):
    """Over-sample images by SMOTE in the latent space of a trained autoencoder.

    1. An encoder/decoder (:class:`DeepSMOTEEncoder`, :class:`DeepSMOTEDecoder`:
       the paper's DCGAN-style layout, scaled down) is trained on all training
       images, scaled to the decoder's tanh range ``[-1, 1]``, with Adam on
       ``reconstruction + penalty``: the mean squared reconstruction error of
       a shuffled batch, plus the paper's penalty: up to ``batch_size`` images of
       one class (drawn uniformly among the classes) are encoded, their codes
       permuted (each moved to another image's place) and decoded, and the
       decodings compared (mean squared error) with the images in their
       original order, which trains the decoder to map a code near a class
       member's code to a plausible member of that class.
    2. Every image is encoded; SMOTE draws the plan within each class among the
       ``k_neighbors`` nearest codes (``base``, ``neighbor``, ``gap``).
    3. A synthetic image is ``decoder(z_base + gap * (z_neighbor - z_base))``,
       mapped back to the input's range, shape and dtype (rounded and clipped
       for integer dtypes): :meth:`synthesize`. With
       ``decoding="residual"`` it is the base image plus what the decoder
       changes between the base's code and the interpolated one.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn: the target class counts after resampling.
    random_state : int, RandomState instance or None, default=None
        Seeds the networks' initialisation, the training batches and penalty
        classes, and the plan. On CPU the same seed gives the same weights and
        the same images. ``None`` draws fresh OS entropy; numpy's and torch's
        global RNGs are left as they were.
    k_neighbors : int, default=5
        Neighbours per sample in latent space, within its class.
    latent_dim : int, default=32
        Size of the code.
    width : int, default=16
        Channels of the first convolution; each further stage doubles them.
    epochs : int, default=10
        Passes over the training images.
    batch_size : int, default=100
        Reconstruction batch size, and the most images of the penalty's class.
    lr : float, default=1e-3
        Adam learning rate.
    penalty : float, default=1.0
        Weight of the permutation penalty (the paper adds it with weight 1);
        0 trains on reconstruction alone.
    penalty_mode : {"paper", "released"}, default="paper"
        ``"paper"``: decodings of the permuted codes are compared with the
        images in their original order, gradients reaching the encoder too.
        The mean-squared optimum of this term is the class mean, so it pulls
        every decoding towards its class's average image: decoded samples
        are smoother, more prototypical images of their class.
        ``"released"``: as the released code (see Notes), codes detached and
        decodings compared with the images permuted the same way, i.e. a
        second, class-balanced reconstruction loss for the decoder.
        Measured by ``benchmarks/deepsmote_cost.py`` on fmnist-deepsmote
        (seed 0, default sizes and epochs, fitted on the 8,100 training
        images): reconstruction RMSE of the 900 validation images 41.9 grey
        levels with ``"paper"`` against 26.9 with ``"released"``; the nearest
        real training image of a synthetic one is of its class for 57.3 %
        against 88.9 % of the 27,900. Choose it on validation data.
    encoder, decoder : torch.nn.Module, optional
        Trained networks to use instead of training new ones (both or
        neither): ``encoder`` maps ``(B, C, H, W)`` float images in data
        units (as ``X``) to ``(B, d)`` codes, ``decoder`` maps codes back.
        E.g. the :attr:`encoder_` and :attr:`decoder_` of a fitted sampler,
        or what :meth:`load` restores. Given networks are used as they are.
    device : str, default="cpu"
        Where the networks train and run.
    synthetic_share : float in (0, 1) or None, default=None
        ``None``: each class is topped up to its target with decoded images,
        so the smallest classes are almost all decoded and the largest all
        real. A float ``s``: every class, the largest too, is brought to its
        target with copies of its own images and then gets ``s / (1 - s)``
        times that many decoded ones, so "looks decoded" says nothing about
        the class (as :class:`pixsmote.SMOTE`'s ``synthetic_share``).
    decoding : {"direct", "residual"}, default="direct"
        ``"direct"``: a synthetic image is the decoding of the interpolated
        code, as in the paper. ``"residual"``: it is
        ``x_base + decoder(z) - decoder(z_base)``, the real base image moved
        by the decoder's change from the base's code to the interpolated
        code ``z``. A small decoder blurs (reconstruction RMSE of 26.9 grey
        levels on fmnist-deepsmote's validation images,
        ``benchmarks/deepsmote_cost.py``),
        and a directly decoded image carries that blur, which a real test
        image does not; in the difference the decoder's blur of the base
        cancels, so the image keeps the base's detail and takes the
        latent interpolation's change of shape. ``gap = 0`` gives the base
        image itself. This is pixsmote's variant, not the paper's; choose it
        on validation data.
    smote : str, SMOTE-family sampler or None, default=None
        Which SMOTE draws the plan among the codes. ``None``: the paper's
        (uniform base, one of the ``k_neighbors`` nearest same-class codes,
        uniform gap). A name of :data:`pixsmote.sampling.SAMPLERS` that
        interpolates feature vectors (``"svm-smote"``, ``"borderline1"``,
        ``"borderline2"``, ``"kmeans-smote"``, ``"adasyn"``, ...; not
        ``ros``/``rus``, which synthesise nothing, nor ``deepsmote``/``m2m``,
        which need images), or such a sampler: it is fitted on the codes as
        its data, so its SVM, danger test, clusters and neighbours are all in
        latent space, and its plan is decoded as above (SVM-SMOTE's
        extrapolations included). A name is built with ``k_neighbors``; a
        sampler keeps its own. Either way its ``sampling_strategy``,
        ``synthetic_share`` and ``random_state`` become this sampler's, so
        the counts and the seed mean the same whatever draws the plan.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of samples to add per class to reach the targets (decoded
        ones, or copies with ``synthetic_share``).
    n_synthetic_ : dict
        Decoded samples asked for per class (the classes given any).
    plan_ : Plan
        Class, base index, neighbour index and gap of every synthetic sample;
        the interpolation is between codes.
    sample_indices_ : ndarray of int64
        Indices of the original samples kept: all of them, then (with
        ``synthetic_share``) the copies.
    encoder_, decoder_ : torch.nn.Module
        The trained (or given) networks, in eval mode, on ``device``.
    codes_ : ndarray of shape (n_samples, latent_dim), float32
        The codes of the fitted images.
    plan_sampler_ : sampler or None
        The fitted ``smote`` sampler that drew the plan among the codes
        (``None`` for the paper's SMOTE).
    history_ : list of dict
        Per epoch: ``reconstruction`` and ``penalty`` (mean losses) and
        ``time_s``; empty when the networks were given.

    Notes
    -----
    Where the released code (github.com/dd1github/DeepSMOTE,
    ``DeepSMOTE_MNIST.py``) differs from the paper, this class follows the
    paper:

    * the penalty: the released code detaches the codes of the penalty's class
      (through numpy) before permuting them, so the penalty trains only the
      decoder, and compares the decodings with the images permuted the *same*
      way, so that the permutation cancels and the penalty is a second
      reconstruction loss on one class's images. By default the codes keep
      their gradient and the decodings of the permuted codes are compared with
      the images in their original order, as the paper describes it;
      ``penalty_mode="released"`` does what the released code does;
    * scaling: the released script shows no rescaling of the images to the
      decoder's tanh range; here they are scaled to ``[-1, 1]`` from the
      training data's ``[min, max]`` (stored with the weights);
    * size and schedule: the released code trains 4-stage networks (64-512
      channels, 300-d code) for 200 epochs with Adam at 2e-4 and keeps the
      epoch of lowest *training* loss. Here the layout is scaled down (3
      stages of 16-64 channels, 32-d code, 10 epochs at 1e-3) so that 9,000
      images of 28x28 train in under 3 minutes on 2 CPU cores (measured by
      ``benchmarks/deepsmote_cost.py`` on fmnist-deepsmote, one torch thread
      on a shared 2-core Xeon: 108 s of training, 117 s in all with the
      31,000 decoded images, at load 5; 122 s and 131 s at load 7. Two
      torch threads on the loaded machine were 5x slower than one: 74 s
      against 15 s for the first epoch), and the last epoch is kept (a
      training loss is no model selection).

    SMOTE in latent space is the released code's ``G_SM`` (uniform base,
    one of the 5 nearest same-class codes, uniform gap), drawn here with
    the sampler's seeded RNG.

    References
    ----------
    .. [1] D. Dablain, B. Krawczyk, N. V. Chawla, "DeepSMOTE: Fusing deep
       learning and SMOTE for imbalanced data", IEEE Transactions on Neural
       Networks and Learning Systems, 34(9), 6390-6404, 2023 (online 2022).

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote import DeepSMOTE
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8)
    >>> y = np.array([0] * 45 + [1] * 15)
    >>> X_res, y_res = DeepSMOTE(random_state=0, epochs=1).fit_resample(X, y)
    >>> X_res.shape, X_res.dtype, np.bincount(y_res).tolist()
    ((90, 8, 8), dtype('uint8'), [45, 45])
    """

    _plan_state = (
        "plan_", "sample_indices_", "codes_", "groups_", "_copies", "_drawer",
        "plan_sampler_",
    )  # fmt: skip

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ["random_state"],
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "synthetic_share": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "width": [Interval(numbers.Integral, 1, None, closed="left")],
        "epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "penalty": [Interval(numbers.Real, 0, None, closed="left")],
        "penalty_mode": [StrOptions({"paper", "released"})],
        "encoder": [nn.Module, None],
        "decoder": [nn.Module, None],
        "device": [str, torch.device],
        "decoding": [StrOptions({"direct", "residual"})],
        # A sampler's own type is checked by _plan_sampler.
        "smote": [
            StrOptions(set(list_samplers(synthetic=True, images_only=False))),
            HasMethods(["fit_drawer"]),
            None,
        ],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=5,
        latent_dim=32,
        width=16,
        epochs=10,
        batch_size=100,
        lr=1e-3,
        penalty=1.0,
        penalty_mode="paper",
        encoder=None,
        decoder=None,
        device="cpu",
        synthetic_share=None,
        decoding="direct",
        smote=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.k_neighbors = k_neighbors
        self.latent_dim = latent_dim
        self.width = width
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.penalty = penalty
        self.penalty_mode = penalty_mode
        self.encoder = encoder
        self.decoder = decoder
        self.device = device
        self.synthetic_share = synthetic_share
        self.decoding = decoding
        self.smote = smote

    # ------------------------------------------------------------------ API
    def fit_plan(self, X, y):
        """Train (or take) the networks and draw the plan; decode nothing.

        Returns
        -------
        sample_indices : ndarray of int64
            Every original (``arange(n_samples)``), then the copies of
            ``synthetic_share``.
        plan : Plan
            Pass it with ``X`` to :meth:`synthesize`, whole or in chunks.
        """
        X, y = self._check_images(X, y)
        rs = resolve_random_state(self.random_state)
        # Seeds for the networks first, whether or not they are trained, so
        # the plan's draws do not depend on it.
        s_init, s_data = (int(s) for s in rs.randint(0, 2**31 - 1, size=2))
        if (self.encoder is None) != (self.decoder is None):
            raise UsageError(
                "encoder and decoder are given together or not at all. Got only "
                f"the {'encoder' if self.decoder is None else 'decoder'} instead."
            )
        device = torch.device(self.device)
        if self.encoder is None:
            self.encoder_, self.decoder_, self.history_ = self._train(
                X, y, s_init, s_data, device
            )
        else:
            self.encoder_ = self.encoder.to(device).eval()
            self.decoder_ = self.decoder.to(device).eval()
            self.history_ = []
        self.codes_ = self.encode(X)
        # Per class: its originals and how many copies of them to draw.
        self._fit_copies(y, None)  # no copies unless the share below asks
        self._drawer = self.plan_sampler_ = None
        if self.smote is not None:
            # Another SMOTE's plan among the codes: fitted once, its drawer
            # draws the copies and a fresh plan per call (the online form).
            self.plan_sampler_ = self._plan_sampler(rs)
            self._drawer = self.plan_sampler_.fit_drawer(self.codes_, y)
            self.groups_ = []
            self.n_synthetic_ = dict(getattr(self.plan_sampler_, "n_synthetic_", {}))
            self.sample_indices_, self.plan_ = self.draw(rs)
            return self.sample_indices_, self.plan_
        self.groups_ = self._groups(self.codes_, y)
        self._fit_copies(y, self.synthetic_share)
        self.sample_indices_, self.plan_ = self.draw(rs)
        return self.sample_indices_, self.plan_

    def draw(self, random_state):
        """Originals kept and a new plan, from the fitted networks and neighbours.

        Every original, then (with ``synthetic_share``) fresh copies of them,
        drawn after the plan from the same resolved ``random_state``.

        Returns
        -------
        sample_indices : ndarray of int64
        plan : Plan
        """
        rs = resolve_random_state(random_state)
        if self._drawer is not None:
            return self._drawer.draw(rs)
        plan = self.draw_plan(rs)
        return self._kept(len(self.codes_), rs), plan

    def draw_plan(self, random_state):
        """A new plan from the fitted latent neighbours (no retraining).

        Parameters
        ----------
        random_state : int, RandomState instance or None
            An int gives the same plan each time; a ``RandomState`` continues.

        Returns
        -------
        plan : Plan
        """
        rs = resolve_random_state(random_state)
        if self._drawer is not None:
            return self._drawer.draw(rs)[1]
        parts = []
        for cls, n, base, nn_idx in self.groups_:
            k = nn_idx.shape[1]
            flat = rs.randint(0, nn_idx.size, size=n)
            rows, cols = np.floor_divide(flat, k), np.mod(flat, k)
            gap = rs.uniform(size=n)
            parts.append(
                Plan(np.full(n, cls), base[rows], nn_idx[rows, cols], gap=gap)
            )
        y_dtype = np.asarray([g[0] for g in self.groups_]).dtype
        return Plan.concat(parts, y_dtype=y_dtype if self.groups_ else np.int64)

    def encode(self, X) -> np.ndarray:
        """Codes of images (eval mode, batched): ``(n, latent_dim)`` float32."""
        X = np.asarray(X)
        out = []
        with torch.no_grad():
            for s in range(0, len(X), _EVAL_BATCH):
                out.append(self.encoder_(self._to_tensor(X[s : s + _EVAL_BATCH])))
        if not out:
            return np.empty((0, 0), dtype=np.float32)
        return torch.cat(out).cpu().numpy().astype(np.float32, copy=False)

    def decode(self, Z, dtype, shape) -> np.ndarray:
        """Images of codes ``Z`` in ``dtype`` and trailing ``shape``."""
        return _as_dtype(self._decode_float(Z, shape), dtype)

    def _decode_float(self, Z, shape) -> np.ndarray:
        """Decodings of ``Z`` in data units, float64, trailing ``shape``."""
        with torch.no_grad():
            x = self.decoder_(torch.as_tensor(Z, dtype=torch.float32).to(self.device))
        x = x.permute(0, 2, 3, 1).cpu().numpy().astype(np.float64)
        return x.reshape((len(x), *shape))

    def synthesize(self, X, plan: Plan, out=None, chunk_size: int | None = None):
        """Decode the interpolated codes of ``plan``: the synthetic images.

        With ``decoding="residual"``, each is its base image plus the
        difference between the decodings of the interpolated code and of the
        base's code.

        A pure function of ``X``, ``plan`` and the fitted networks (eval mode:
        an image's code does not depend on the others), so a plan can be
        decoded whole, in chunks or in other processes. Same signature as
        :func:`pixsmote.sampling.synthesize`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            The images the plan indexes.
        plan : Plan
        out : ndarray, optional
            Of shape ``(len(plan), *X.shape[1:])`` and dtype ``X.dtype``.
        chunk_size : int, optional
            Plan rows decoded at a time (default 1,000).

        Returns
        -------
        out : ndarray of shape (len(plan), *X.shape[1:]), dtype of ``X``
        """
        X = np.asarray(X)
        out = self._synthesis_out(X, plan, out)
        if not len(plan):
            return out
        # Encode each image the plan uses once: a balanced fmnist-deepsmote plan
        # has 31,000 rows but draws on the ~5,000 minority images only.
        used, inv = np.unique(
            np.concatenate([plan.base, plan.neighbor]), return_inverse=True
        )
        codes = self.encode(X[used]).astype(np.float64)
        zb, zn = codes[inv[: len(plan)]], codes[inv[len(plan) :]]
        rows = chunk_size or _EVAL_BATCH
        for s in range(0, len(plan), rows):
            e = min(len(plan), s + rows)
            gap = plan.effective_gap[s:e, None]
            z = zb[s:e] + gap * (zn[s:e] - zb[s:e])
            if self.decoding == "residual":
                # Decoded at once, so the two decodings see the same batch
                # (eval mode makes them independent of it anyway).
                both = self._decode_float(np.concatenate([z, zb[s:e]]), X.shape[1:])
                delta = both[: e - s] - both[e - s :]
                x = X[plan.base[s:e]].astype(np.float64) + delta
                out[s:e] = _as_dtype(x, X.dtype)
            else:
                out[s:e] = self.decode(z, X.dtype, X.shape[1:])
        return out

    def save(self, path) -> None:
        """Write the fitted networks (weights, sizes, data range) to ``path``."""
        if not hasattr(self, "encoder_"):
            raise UsageError(
                "save needs a fitted DeepSMOTE (call fit_resample or fit_plan "
                "first). Got an unfitted sampler instead."
            )
        if not isinstance(self.encoder_, DeepSMOTEEncoder) or not isinstance(
            self.decoder_, DeepSMOTEDecoder
        ):
            raise UsageError(
                "save writes DeepSMOTE's own networks; save custom networks with "
                f"torch.save. Got {type(self.encoder_).__name__} instead."
            )
        sc = self.encoder_.scaling
        torch.save(
            {
                "format": "pixsmote-deepsmote-1",
                "shape": list(sc.shape),
                "latent_dim": self.encoder_.fc.out_features,
                "width": self.encoder_.conv[0].out_channels,
                "range": [float(sc.lo), float(sc.hi)],
                "encoder": self.encoder_.state_dict(),
                "decoder": self.decoder_.state_dict(),
            },
            Path(path),
        )

    @classmethod
    def load(cls, path, **params) -> DeepSMOTE:
        """A sampler that uses the networks saved at ``path`` (no retraining).

        ``params`` are the other constructor parameters (``sampling_strategy``,
        ``random_state``, ``k_neighbors``, ``device``, ...).
        """
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != "pixsmote-deepsmote-1":
            raise DataError(
                f"{path} is not a file written by DeepSMOTE.save. Got "
                f"{type(state).__name__} content instead."
            )
        args = (state["shape"], state["latent_dim"], state["width"], *state["range"])
        enc, dec = DeepSMOTEEncoder(*args), DeepSMOTEDecoder(*args)
        enc.load_state_dict(state["encoder"])
        dec.load_state_dict(state["decoder"])
        params.setdefault("latent_dim", state["latent_dim"])
        params.setdefault("width", state["width"])
        return cls(encoder=enc.eval(), decoder=dec.eval(), **params)

    # ------------------------------------------------------------- helpers
    def _to_tensor(self, X):
        x = torch.from_numpy(np.ascontiguousarray(X).astype(np.float32, copy=False))
        if x.ndim == 3:
            x = x.unsqueeze(1)
        else:
            x = x.permute(0, 3, 1, 2)
        return x.to(self.device)

    def _plan_sampler(self, rs):
        """The ``smote`` sampler, set to this one's counts and seed, unfitted."""
        from sklearn.base import clone

        from pixsmote.sampling import SAMPLERS, get_sampler

        given = self.smote
        if isinstance(given, str):  # a name _parameter_constraints accepted
            inner = get_sampler(given, k_neighbors=self.k_neighbors)
        else:
            # Feature-vector samplers only: ros/rus make no plan, DeepSMOTE and
            # M2m need images (a code is not one).
            usable = list_samplers(synthetic=True, images_only=False)
            if not any(type(given) is SAMPLERS[n].cls for n in usable):
                raise UsageError(
                    f"smote must be one of {usable} or such a sampler. "
                    f"Got {type(given).__name__} instead."
                )
            inner = clone(given)
        params = {
            "sampling_strategy": self.sampling_strategy,
            "random_state": int(rs.randint(0, 2**31 - 1)),
        }
        if "synthetic_share" in inner.get_params():
            params["synthetic_share"] = self.synthetic_share
        elif self.synthetic_share is not None:
            raise UsageError(
                f"synthetic_share needs a smote sampler that takes it; "
                f"{type(inner).__name__} does not. Got "
                f"synthetic_share={self.synthetic_share!r} instead."
            )
        return inner.set_params(**params)

    def _groups(self, Z, y):
        groups = []
        counts = dict(self.sampling_strategy_)
        if self.synthetic_share is not None:
            counts = share_counts(y, self.sampling_strategy_, self.synthetic_share)[0]
        self.n_synthetic_ = {c: n for c, n in counts.items() if n}
        for cls, n in counts.items():
            if n == 0:
                continue
            idx = np.flatnonzero(y == cls)
            k = resolve_k("k_neighbors", self.k_neighbors, 5, len(idx), cls)
            nn_est = NearestNeighbors(n_neighbors=k + 1).fit(Z[idx])
            nns = nn_est.kneighbors(Z[idx], return_distance=False)[:, 1:]
            idx = idx.astype(np.int64)
            groups.append((cls, int(n), idx, idx[nns]))
        return groups

    def _train(self, X, y, s_init, s_data, device):
        import time

        c = 1 if X.ndim == 3 else X.shape[3]
        shape = (c, X.shape[1], X.shape[2])
        lo, hi = float(X.min()), float(X.max())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s_init)
            enc = DeepSMOTEEncoder(shape, self.latent_dim, self.width, lo, hi)
            dec = DeepSMOTEDecoder(shape, self.latent_dim, self.width, lo, hi)
        enc, dec = enc.to(device), dec.to(device)
        history: list[dict[str, float]] = []
        if self.epochs == 0:
            return enc.eval(), dec.eval(), history
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=self.lr)
        gen = torch.Generator().manual_seed(s_data)
        rng = np.random.default_rng(s_data)
        X_unit = enc.scaling.to_unit(self._to_tensor(X).cpu())
        target = enc.scaling.crop(X_unit)
        classes = np.unique(y)
        by_class = [np.flatnonzero(y == c_) for c_ in classes]
        n, bs = len(X), min(self.batch_size, len(X))
        for epoch in range(self.epochs):
            t0 = time.perf_counter()
            enc.train()
            dec.train()
            perm = torch.randperm(n, generator=gen)
            rec_sum = pen_sum = 0.0
            steps = max(1, n // bs)
            for i in range(steps):
                idx = perm[i * bs : (i + 1) * bs]
                xb = X_unit[idx].to(device)
                recon = dec.forward_unit(enc.forward_unit(xb))
                loss_rec = F.mse_loss(recon, target[idx].to(device))
                loss = loss_rec
                loss_pen = torch.zeros(())
                if self.penalty > 0:
                    # A class drawn uniformly, as in the released code: the
                    # penalty weighs every class alike, however small.
                    members = by_class[int(rng.integers(len(classes)))]
                    if len(members) >= 2:
                        take = rng.choice(members, min(len(members), bs), replace=False)
                        take = torch.from_numpy(take)
                        loss_pen = self._penalty_loss(
                            enc,
                            dec,
                            X_unit[take].to(device),
                            target[take].to(device),
                        )
                        loss = loss + self.penalty * loss_pen
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                rec_sum += float(loss_rec.detach())
                pen_sum += float(loss_pen.detach())
            history.append(
                {
                    "epoch": epoch,
                    "reconstruction": rec_sum / steps,
                    "penalty": pen_sum / steps,
                    "time_s": time.perf_counter() - t0,
                }
            )
        return enc.eval(), dec.eval(), history


    def _penalty_loss(self, enc, dec, x_unit, goal):
        """The permutation penalty on one class's images (scaled to [-1, 1])."""
        # Roll by one: every code is decoded in another image's place (a
        # derangement of a random subset of the class).
        z = torch.roll(enc.forward_unit(x_unit), 1, dims=0)
        if self.penalty_mode == "released":
            z = z.detach()  # the decoder only, as the released code
            goal = torch.roll(goal, 1, dims=0)  # permuted the same way
        return F.mse_loss(dec.forward_unit(z), goal)


def _as_dtype(x: np.ndarray, dtype) -> np.ndarray:
    """Float images ``x`` in ``dtype``: rounded and clipped to its range for
    integer dtypes."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        x = np.clip(np.rint(x), info.min, info.max)
    return x.astype(dtype)


class DeepSMOTEEpochs:
    """Online DeepSMOTE (or M2m): a callable ``epoch -> (X, y)`` with a fresh
    plan each epoch, made by networks trained once.

    The form :func:`pixsmote.train.fit` takes as online training data (the
    ``online-deepsmote`` recipe). The networks are trained and the latent
    neighbours found once, at construction; epoch ``e``'s plan is drawn with
    :func:`pixsmote.torch.epoch_random_state` ``(seed, e)``.

    Parameters
    ----------
    X, y : ndarray
        Training images and labels.
    sampler : DeepSMOTE or M2m, optional
        Default ``DeepSMOTE(random_state=seed)``. Any sampler whose own
        ``synthesize`` makes the images from ``fit_plan``/``draw_plan`` plans.
    seed : int
    """

    def __init__(self, X, y, sampler: BaseOverSampler | None = None, *, seed: int = 0):
        from sklearn.base import clone

        from pixsmote.torch._dataset import epoch_random_state

        self._epoch_rs = epoch_random_state
        if sampler is None:
            sampler = DeepSMOTE(random_state=seed)
        self.sampler = clone(sampler)
        if self.sampler.random_state is None:
            self.sampler.set_params(random_state=seed)
        self.X, self.y, self.seed = np.asarray(X), np.asarray(y), int(seed)
        self.sampler.fit_plan(self.X, self.y)

    def draw(self, epoch: int) -> tuple[np.ndarray, Plan]:
        """The originals kept (with copies, for DeepSMOTE's ``synthetic_share``)
        and the plan of ``epoch`` (epoch 0 included: a fresh draw, not
        ``plan_``)."""
        return self.sampler.draw(self._epoch_rs(self.seed, int(epoch)))

    def plan(self, epoch: int) -> Plan:
        """The plan of ``epoch`` (epoch 0 included: a fresh draw, not ``plan_``)."""
        return self.draw(epoch)[1]

    def __call__(self, epoch: int):
        idx, plan = self.draw(epoch)
        X = np.concatenate([self.X[idx], self.sampler.synthesize(self.X, plan)])
        return X, np.concatenate([self.y[idx], plan.cls.astype(self.y.dtype)])
