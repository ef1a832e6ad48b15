"""The command line: ``python -m lenet {train,evaluate,list,predict,zoo}``.

Bad arguments, files or models exit with code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported

from lenet import config as cfg  # noqa: E402
from lenet.config import LeNetConfig  # noqa: E402
from lenet.data import DatasetError, load_mnist  # noqa: E402
from lenet.jobs import JobError  # noqa: E402
from lenet.pipeline import JobProgress  # noqa: E402
from lenet.store import STORAGE_FAILURE, ModelStore, StoreError, storage_problem  # noqa: E402
from lenet.sweep import SweepError  # noqa: E402

if TYPE_CHECKING:
    from lenet.jobs import Job, JobManager
    from lenet.train import Progress


class UsageError(Exception):
    """A bad argument: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _bool01(text: str) -> bool:
    if text not in ("0", "1", "true", "false"):
        raise argparse.ArgumentTypeError(f"expected 0 or 1, got {text!r}")
    return text in ("1", "true")


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One dash-case flag per ``LeNetConfig`` field: its spec's help and choices, its default."""
    for f in dataclasses.fields(LeNetConfig):
        flag, default, spec = "--" + f.name.replace("_", "-"), f.default, cfg.spec(f.name)
        shown = "all" if f.name == "train_subset" else default
        kwargs: dict[str, Any] = {
            "default": argparse.SUPPRESS,
            "help": f"{spec.help}{_allowed(spec)} (default: {shown})",
        }
        if isinstance(default, tuple):
            kind = _bool01 if f.name == "batch_norm" else type(default[0])
            kwargs.update(nargs="+", type=kind, metavar="N" if kind is int else "X")
        elif f.name == "train_subset":
            kwargs.update(type=int, metavar="N")
        else:
            kwargs["type"] = type(default)
            if spec.choices is not None:
                kwargs["choices"] = spec.choices
        parser.add_argument(flag, **kwargs)


def _allowed(spec: cfg.FieldSpec) -> str:
    """'; 1 to 256' for a number field; '' for choices (argparse lists them itself)."""
    if spec.low is None or spec.high is None or spec.choices is not None:
        return ""
    shown = "{:,}" if spec.integer else "{:g}"
    return f"; {shown.format(spec.low)} to {shown.format(spec.high)}"


def command_name() -> str:
    """This command as it was run: the ``lenet`` console script, or ``python -m lenet``."""
    return "lenet" if Path(sys.argv[0]).name == "lenet" else "python -m lenet"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m lenet`` (and the ``lenet`` command): one subcommand each."""
    parser = _Parser(
        prog=command_name(),
        description="LeNet-5 on MNIST: train, evaluate, "
        "list and predict with the models of the lenet-studio store.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    data_help = "MNIST .npz or folder of IDX files (default: $MNIST_PATH, else Keras download)"

    train = sub.add_parser("train", help="train a model and save it to the store")
    _add_config_flags(train)
    train.add_argument(
        "--preset",
        help="start from a recipe (quick: 99%% in two epochs, see lenet.presets) or a stored "
        "model's configuration",
    )
    train.add_argument("--name", help="store name (default: run-<config id>)")
    train.add_argument("--data", type=Path, help=data_help)
    train.add_argument("--dry-run", action="store_true", help="train one batch, save nothing")

    evaluate = sub.add_parser("evaluate", help="evaluate a stored model on the MNIST test set")
    evaluate.add_argument("--model", required=True, help="stored model name")
    evaluate.add_argument("--data", type=Path, help=data_help)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    sub.add_parser("list", help="list stored models with their accuracy")

    predict = sub.add_parser("predict", help="predict the digit in image files")
    predict.add_argument("--model", required=True, help="stored model name")
    predict.add_argument("--json", action="store_true", help="one JSON object per line")
    predict.add_argument("files", nargs="+", type=Path, metavar="FILE", help="PNG or JPEG")

    export = sub.add_parser("export", help="write TFLite float (and int8) models, measured")
    export.add_argument("--model", required=True, help="stored model name")
    export.add_argument("--format", choices=["tflite"], default="tflite", help="(default: tflite)")
    export.add_argument("--int8", action="store_true", help="also a full-integer int8 model")
    export.add_argument("--data", type=Path, help=data_help)

    sweep = sub.add_parser("sweep", help="hyperparameter search with Optuna (validation only)")
    sweep.add_argument(
        "--space",
        required=True,
        help="built-in space (activation-bn-dropout, blocks-filters-lr) or a .json/.yaml file",
    )
    sweep.add_argument("--trials", type=int, default=8, help="(default: 8)")
    sweep.add_argument(
        "--sampler", choices=["random", "tpe", "grid"], default="random", help="(default: random)"
    )
    sweep.add_argument(
        "--storage",
        help="Optuna storage URL, e.g. postgresql://USER:PASSWORD@HOST/DB "
        "(default: $LENET_SWEEP_STORAGE, else LENET_HOME/sweeps.db)",
    )
    sweep.add_argument("--study", help="study name (default: the space's name)")
    sweep.add_argument(
        "--subset", type=int, default=3000, help="training images per trial (default: 3000)"
    )
    sweep.add_argument("--epochs", type=int, help="epochs per trial (default: the space's)")
    sweep.add_argument(
        "--seed",
        type=int,
        help="training seed (subset, split, initialisation) of every trial; a study keeps the "
        "one it started with (default: the study's, else 0)",
    )
    sweep.add_argument(
        "--sampler-seed",
        type=int,
        help="make the sampler's draws reproducible (default: each process its own entropy)",
    )
    sweep.add_argument("--data", type=Path, help=data_help)
    sweep.add_argument(
        "--here",
        action="store_true",
        help="run the trials in this process instead of queueing a job (adds a worker to a "
        "shared study)",
    )
    sweep.add_argument(
        "--threads",
        type=int,
        help="with --here: CPU threads TensorFlow may use (default: all); give each of several "
        "workers on one machine cores/workers",
    )
    sweep.add_argument(
        "--retrain-best",
        metavar="NAME",
        help="afterwards, train the best trial on all training images as NAME",
    )

    zoo = sub.add_parser("zoo", help="retrain the bundled models (writes assets/models)")
    zoo.add_argument("--data", type=Path, help=data_help)
    zoo.add_argument("--only", nargs="+", metavar="NAME", help="retrain only these")
    zoo.add_argument(
        "--drawings",
        type=Path,
        metavar="NPZ",
        help="the synthetic training drawings of the recipes that mix them in (lenet5-robust), "
        "made by `python -m devkit.drawn --training N --out NPZ` (default: none)",
    )
    return parser


def progress_line(p: JobProgress) -> str:
    """One terminal line for a job's (or an in-process run's) progress."""
    if p.training:
        width = 30
        done = int(width * p.batch / p.batches)
        return (
            f"epoch {p.epoch}/{p.epochs} [{'=' * done}{' ' * (width - done)}] "
            f"loss {p.loss or 0.0:.4f} acc {p.accuracy or 0.0:.4f} "
            f"{p.images_per_s or 0.0:,.0f} img/s"
        )
    if p.phase == "sweeping":
        best = "-" if p.best_val_accuracy is None else f"{p.best_val_accuracy:.4f}"
        return f"trials {p.trials_done}/{p.trials}, best validation accuracy {best}"
    return f"{p.phase or 'starting'}..."


_shown: list[str] = [""]  # what a log has last been told: the phase part of the line


def _show(line: str, end: str = "") -> None:
    """Progress on stderr: one line redrawn in a terminal; in a log, a line per change of phase.

    A file or a pipe cannot redraw, so it gets "loading data...", each epoch's first line and
    each epoch's end once, instead of the same line twice a second.
    """
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{line.ljust(60)}{end}")
    else:
        phase = line.split("[")[0]
        if end or phase != _shown[0]:
            sys.stderr.write(f"{line}\n")
        _shown[0] = phase
    sys.stderr.flush()


def _progress_bar(p: Progress) -> None:
    """``train``'s progress callback for runs in this process (dry run, zoo)."""
    line = progress_line(JobProgress.of_training(p))
    if p.kind == "epoch":
        _show(f"{line} val_acc {p.history[-1]['val_accuracy']:.4f}", "\n")
    else:
        _show(line)


def follow(manager: JobManager, job: Job, poll_s: float, cancel_wait_s: float) -> Job:
    """Show a job's progress until it ends; Ctrl-C cancels it. Returns the ended job."""
    try:
        while not job.final:
            time.sleep(poll_s)
            job = manager.get(job.id)
            _show(progress_line(job.progress))
    except KeyboardInterrupt:
        job = manager.wait(manager.cancel(job.id).id, timeout_s=cancel_wait_s)
    if sys.stderr.isatty():
        sys.stderr.write("\n")  # below the redrawn line
    return job


def _job_manager(store: ModelStore, data: Path | None) -> JobManager:
    """The app's job manager (same LENET_HOME, same queue), with the terminal's full limits."""
    from lenet.jobs import JobManager, Limits

    return JobManager(
        store.home,
        data_path=str(data) if data else None,
        limits=Limits(max_epochs=200, max_queued=100),
    )


def train_in_job(store: ModelStore, config: LeNetConfig, name: str, data: Path | None) -> int:
    """Train ``config`` as ``name`` in a job, following its progress; returns the exit code."""
    from lenet.store import validate_name

    validate_name(name)
    load_mnist(data)  # fail now, with exit code 2, rather than inside the job
    try:
        manager = _job_manager(store, data)
        job = manager.submit(config, name)
    except OSError as exc:
        problem = storage_problem(exc, store.home) or str(exc)
        raise UsageError(f"cannot start training: {problem}; nothing was started") from exc
    if job.state == "queued":
        print(f"job {job.id} is queued behind other runs", file=sys.stderr)
    job = follow(manager, job, poll_s=0.25, cancel_wait_s=60)
    if job.state != "done":
        print(f"{job.state}: {job.error}", file=sys.stderr)
        return 2 if job.error and STORAGE_FAILURE.search(job.error) else 1
    r = job.result
    print(f"saved {r.model}: test accuracy {r.accuracy or 0.0:.4f}, {r.seconds or 0.0:.1f} s")
    return 0


def cmd_train(args: argparse.Namespace, store: ModelStore) -> int:
    """Train one model in a job, following its progress; returns the exit code."""
    fields = {f.name for f in dataclasses.fields(LeNetConfig)}
    from lenet.presets import PRESETS

    if args.preset in PRESETS:
        base = PRESETS[args.preset]
    else:
        base = store.config(args.preset) if args.preset else LeNetConfig()
    config = base.replace(**{k: v for k, v in vars(args).items() if k in fields})
    name = args.name or f"run-{config.config_id}"
    if args.dry_run:
        from lenet.train import train

        print(f"configuration: {config.to_json()}")
        x_train, y_train, _, _ = load_mnist(args.data)
        result = train(config, (x_train, y_train), on_progress=_progress_bar, max_batches=1)
        print(f"\ndry run: one batch trained on {result.train_size} images; nothing saved")
        return 0
    return train_in_job(store, config, name, args.data)


def cmd_evaluate(args: argparse.Namespace, store: ModelStore) -> int:
    """Evaluate a stored model on the MNIST test set; returns the exit code."""
    from lenet.evaluate import build_report

    predictor = store.predictor(args.model)
    _, _, x_test, y_test = load_mnist(args.data)
    report = build_report(predictor.predict(x_test.astype("float32") / 255.0), y_test)
    if args.json:
        keys = (
            "accuracy",
            "macro_precision",
            "macro_recall",
            "macro_f1",
            "weighted_precision",
            "weighted_recall",
            "weighted_f1",
            "n",
        )
        out = {
            "model": args.model,
            **{k: getattr(report, k) for k in keys},
            "per_class": report.per_class,
        }
        print(json.dumps(out))
    else:
        print(
            f"model {args.model}: accuracy {report.accuracy:.4f}, macro precision "
            f"{report.macro_precision:.4f}, recall {report.macro_recall:.4f}, "
            f"F1 {report.macro_f1:.4f}\n"
        )
        print(report.classification_text())
    return 0


def cmd_list(args: argparse.Namespace, store: ModelStore) -> int:
    """Print the stored models with their accuracy, size and training time; returns 0."""
    cards = store.list()
    if not cards:
        print(f"no models: train one with `{command_name()} train`")
    for c in cards:
        where = "bundled" if c.bundled else "user"
        if c.broken:
            print(f"{c.name:<24} {where:<8} BROKEN: {c.error}")
        else:
            print(
                f"{c.name:<24} {where:<8} acc {c.accuracy:.4f}  {c.params:>9,} params  "
                f"{c.size_bytes / 1024:>7.0f} KB"
            )
    return 0


def cmd_predict(args: argparse.Namespace, store: ModelStore) -> int:
    """Print a stored model's digit for each image file; returns the exit code.

    A drawing the non-digit detector (``lenet.nondigit``) judges not a digit gets no digit:
    ``"digit": null`` and a ``"reason"`` in JSON, "not a digit" in plain text; the
    probabilities follow either way.
    """
    from lenet.nondigit import bundled_detector
    from lenet.preprocess import load_image, to_mnist

    predictor = store.predictor(args.model)
    try:
        detector = bundled_detector()
    except ValueError as exc:
        print(f"warning: {exc}; every image is read as a digit", file=sys.stderr)
        detector = None
    status = 0
    for path in args.files:
        try:
            prep = to_mnist(load_image(path))
        except (OSError, ValueError) as exc:
            said = str(exc) if str(path) in str(exc) else f"{path}: {exc}"  # the path once
            print(f"error: {said}", file=sys.stderr)
            status = 2
            continue
        if prep.empty or prep.image is None:
            print(f"error: {path}: {prep.reason}", file=sys.stderr)
            status = 2
            continue
        probs = predictor.predict(prep.image)[0]
        digit = int(probs.argmax())
        verdict = None if detector is None else detector.judge(prep.image)
        reason = "" if verdict is None or verdict.is_digit else verdict.reason
        if args.json:
            record: dict[str, Any] = {"file": str(path), "digit": None if reason else digit}
            if reason:
                record["reason"] = reason
            record["probabilities"] = [round(float(p), 6) for p in probs]
            print(json.dumps(record))
        else:
            answer = f"not a digit ({reason})" if reason else f"{digit} ({probs[digit]:.1%})"
            print(f"{path}: {answer}  " + " ".join(f"{d}:{p:.3f}" for d, p in enumerate(probs)))
    return status


def cmd_export(args: argparse.Namespace, store: ModelStore) -> int:
    """Write a stored model's TFLite files and print their size, accuracy and speed."""
    from lenet.export import export_model

    store.card(args.model)  # a missing or broken model fails here, before loading data
    x_train, _, x_test, y_test = load_mnist(args.data)
    report = export_model(store, args.model, x_train, x_test, y_test, int8=args.int8)
    folder = store.export_dir(args.model)
    print(f"wrote {folder}/model.tflite" + (" and model_int8.tflite" if args.int8 else ""))
    for kind in ("keras", "float", "int8"):
        if f"{kind}_kb" in report:
            print(
                f"{kind:>6}: {report[f'{kind}_kb']:>8.1f} KB  accuracy "
                f"{report[f'{kind}_accuracy']:.4f}  {report[f'{kind}_ms']:.3f} ms per image"
            )
    return 0


def cmd_sweep(args: argparse.Namespace, store: ModelStore) -> int:
    """Run (or continue) a hyperparameter sweep and print its trials; returns the exit code."""
    from lenet.store import validate_name
    from lenet.sweep import (
        SweepSettings,
        best_config,
        check_settings,
        load_space,
        run_sweep,
        sweep_storage,
        trials_table,
    )

    settings = SweepSettings(
        space=args.space,
        trials=args.trials,
        sampler=args.sampler,
        storage=args.storage or sweep_storage(store.home),
        study=args.study,
        subset=args.subset,
        epochs=args.epochs,
        seed=args.seed,
        sampler_seed=args.sampler_seed,
    )
    if args.retrain_best:  # checked now, not after the whole sweep
        validate_name(args.retrain_best)
        if args.retrain_best in store.names():
            raise UsageError(
                f"--retrain-best {args.retrain_best!r} is invalid: a model of that name exists"
            )
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads {args.threads} is invalid: give 1 or more")
    check_settings(settings)  # before loading data or queueing: exit 2 within a second or two
    x_train, y_train, _, _ = load_mnist(args.data)

    def on_trial(t: Any) -> None:
        value = "-" if t.value is None else f"{t.value:.4f}"
        print(
            f"trial {t.number}: {t.state.name.lower()} val_accuracy {value} {t.params}", flush=True
        )

    if args.here:
        if args.threads is not None:
            from lenet.train import set_threads

            set_threads(args.threads)
        study = run_sweep(settings, (x_train, y_train), on_trial=on_trial)
    else:  # through the job manager, like the app's sweeps
        from lenet.sweep import open_study

        manager = _job_manager(store, args.data)
        job = follow(manager, manager.submit_sweep(settings), poll_s=0.5, cancel_wait_s=120)
        if job.state != "done":
            print(f"{job.state}: {job.error}", file=sys.stderr)
            return 1
        study = open_study(settings, load_space(settings.space))
        for t in study.trials:
            on_trial(t)
    best = trials_table(study)[0]
    print(f"best trial {best['trial']}: val_accuracy {best['val_accuracy']}")
    if args.retrain_best:
        config = best_config(study).replace(train_subset=None)
        return train_in_job(store, config, args.retrain_best, args.data)
    return 0


def cmd_zoo(args: argparse.Namespace, store: ModelStore) -> int:
    """Retrain the bundled models' recipes and save them; returns the exit code."""
    from lenet.npzfile import NpzError, read_rows
    from lenet.zoo import DRAWN_MIX, ZOO, train_and_save

    names = args.only or list(ZOO)
    unknown = [n for n in names if n not in ZOO]
    if unknown:
        raise UsageError(f"unknown zoo model(s) {', '.join(unknown)}; known: {', '.join(ZOO)}")
    mixing = [n for n in names if n in DRAWN_MIX]
    if mixing and args.drawings is None:
        count = max(DRAWN_MIX[n] for n in mixing)
        raise UsageError(
            f"{', '.join(mixing)} trains on MNIST plus synthetic drawings: make them with "
            f"`python -m devkit.drawn --training {count} --out drawings.npz` and pass "
            "--drawings drawings.npz"
        )
    if args.drawings is not None and not mixing:
        raise UsageError(f"--drawings is only for {', '.join(DRAWN_MIX)}, not {', '.join(names)}")
    drawings = None
    if args.drawings is not None:
        try:
            drawings = read_rows(args.drawings, max_rows=1_000_000, max_bytes=2**30)
        except NpzError as exc:
            raise UsageError(f"--drawings {args.drawings}: {exc}") from exc
    data = load_mnist(args.data)
    for name in names:
        config, description = ZOO[name]
        start = time.perf_counter()
        card = train_and_save(
            store,
            name,
            config,
            description,
            data,
            bundled=True,
            on_progress=_progress_bar,
            drawings=drawings if name in DRAWN_MIX else None,
        )
        print(f"{name}: test accuracy {card.accuracy:.4f} ({time.perf_counter() - start:.0f} s)")
    return 0


COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "list": cmd_list,
    "predict": cmd_predict,
    "export": cmd_export,
    "sweep": cmd_sweep,
    "zoo": cmd_zoo,
}


def main(argv: list[str] | None = None, store: ModelStore | None = None) -> int:
    """Run one command; returns the exit code (2 for any bad input)."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, store or ModelStore())
    except (UsageError, ValueError, DatasetError, StoreError, SweepError, JobError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was saved", file=sys.stderr)
        return 130
