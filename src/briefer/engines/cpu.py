"""The CPU the engines run on, and how CTranslate2 is laid out on it.

The same int8 model runs at different speeds on different CPU kinds: AVX-512 with VNNI (Intel
Xeon since Cascade Lake), AMX (Sapphire Rapids), or AVX2 only (many AMD EPYC cloud machines).
CTranslate2 chooses its kernels (CT2_FORCE_CPU_ISA) and its GEMM library (Intel MKL on Intel,
oneDNN elsewhere: CT2_USE_MKL) itself; briefer overrides a choice only where it was measured
faster (benchmarks/SCHEDULING.md measures every alternative on the machine at hand), and says
what it chose under --verbose. Reading /proc/cpuinfo costs well under a millisecond.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import EngineUnavailable

# The values CTranslate2 4.x takes for CT2_FORCE_CPU_ISA (its cpu_isa_from_string).
KERNELS = ("GENERIC", "AVX", "AVX2", "AVX512")
KERNELS_ARM = ("GENERIC", "NEON")

# The vector extensions that decide which int8 and fp32 kernels can run, in order of age.
ISA_FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "amx_bf16")


@dataclass(frozen=True)
class Cpu:
    """What this process runs on: the CPU's model and vendor, its flags, the cores it may use."""

    model: str
    vendor: str
    flags: frozenset[str]
    cores: int
    # The family and model numbers, e.g. "family 25 model 1" (AMD Zen 3): cloud machines often
    # mask the model name ("AMD EPYC"), and chips of one name can differ in how they run int8.
    family_model: str = ""

    @property
    def name(self) -> str:
        """Return the model name with its family and model numbers where known."""
        return f"{self.model}, {self.family_model}" if self.family_model else self.model

    @property
    def isa(self) -> str:
        """Return the vector extensions that matter to the kernels, e.g. "avx avx2 fma"."""
        return " ".join(f for f in ISA_FLAGS if f in self.flags) or "no AVX"


# What this_cpu reads of the first processor in /proc/cpuinfo (x86; Arm has none of these).
_CPUINFO_KEYS = ("model name", "vendor_id", "flags", "cpu family", "model")


@functools.cache
def this_cpu() -> Cpu:
    """Return the CPU of this machine (read once), as Linux reports it; unknown elsewhere."""
    facts: dict[str, str] = {}
    try:
        for line in (
            Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").splitlines()
        ):
            key, _, value = line.partition(":")
            key = key.strip()
            if key in _CPUINFO_KEYS and key not in facts:
                facts[key] = value.strip()
            if len(facts) == len(_CPUINFO_KEYS):
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no affinity call
        cores = os.cpu_count() or 1
    return Cpu(
        model=facts.get("model name", "unknown CPU"),
        vendor=facts.get("vendor_id", "unknown"),
        flags=frozenset(facts.get("flags", "").split()),
        cores=cores,
        family_model=(
            f"family {facts['cpu family']} model {facts['model']}"
            if "cpu family" in facts and "model" in facts
            else ""
        ),
    )


@dataclass(frozen=True)
class Plan:
    """How CTranslate2 runs on a CPU: kernels, GEMM library, threads, and why."""

    kernels: str  # the CT2_FORCE_CPU_ISA value in effect: AVX512, AVX2, AVX or GENERIC
    gemm: str  # the GEMM library: Intel MKL or oneDNN
    inter: int  # batches run side by side
    intra: int  # threads inside each batch's matrix products
    env: tuple[tuple[str, str], ...]  # what briefer sets for CTranslate2 (never over the user's)
    why: str
    warning: str | None = None  # a user's setting measured to be much slower here
    # Whether a lone batch's threads cover every core, with several workers: then a small job
    # runs faster as one batch than spread over the workers (ctranslate2.MERGE_ROWS).
    whole: bool = False

    def describe(self, cpu: Cpu) -> str:
        """Return the one line --verbose shows."""
        return (
            f"CTranslate2 on {cpu.name} ({cpu.isa}; {cpu.cores} cores): {self.kernels} "
            f"kernels, {self.gemm} GEMM, {self.inter} worker{'s' if self.inter > 1 else ''} "
            f"× {self.intra} thread{'s' if self.intra > 1 else ''} ({self.why})"
        )


def plan(cpu: Cpu, device: str = "cpu", environ: Mapping[str, str] | None = None) -> Plan:
    """Return the layout for CTranslate2 on this CPU: the user's settings, else the measured one.

    Kernels: CTranslate2 never picks AVX-512 by itself (older chips slow their clock for it);
    on Intel chips with VNNI or AMX its AVX-512 kernels measured 5-10% faster than AVX2 for
    distilbart shapes (Xeon, 2 vCPUs), so briefer asks for them there. On an AMD EPYC of the
    Zen 4 kind (AVX-512 with VNNI, no AMX) AVX2 took 0.96-1.09x their time over four jobs, equal
    within that machine's noise, so CTranslate2's own choice stands there. GEMM: Intel MKL on
    Intel, oneDNN on other x86 CPUs (CTranslate2's rule). Threads: batches side by side, one
    worker per core up to 4. Each worker has at least 2 threads where there are 2 cores (a
    quarter of the cores from 12 up): many batches keep every core busy, and a lone batch (one
    article, one sentence) still gets two cores (measured on an Intel Xeon). On AMD each worker
    has its share of the cores instead, one thread on 2: a second thread made every job slower
    or no faster on AMD EPYC Zen 3 and Zen 4. Both are measured in the comments below and in
    benchmarks/SCHEDULING.md. OMP_NUM_THREADS, when set, bounds the threads instead.
    CT2_FORCE_CPU_ISA, CT2_USE_MKL and OMP_NUM_THREADS, when set, are the user's and always win.
    """
    environ = os.environ if environ is None else environ
    if device == "cuda":
        return Plan("CUDA", "cuBLAS", 1, 4, (), "one GPU, 4 threads to feed it")
    env: list[tuple[str, str]] = []
    reasons: list[str] = []
    intel = cpu.vendor == "GenuineIntel"
    if environ.get("CT2_FORCE_CPU_ISA"):
        kernels = environ["CT2_FORCE_CPU_ISA"]
        # CTranslate2 reads the value as written (avx2 is refused) and takes only its own
        # architecture's; it says so only at the first translation, as a bare ValueError.
        known = KERNELS_ARM if "asimd" in cpu.flags or "neon" in cpu.flags else KERNELS
        if kernels not in known:
            raise EngineUnavailable(
                f"CT2_FORCE_CPU_ISA={kernels} is not a kernel set CTranslate2 has on this CPU "
                f"({', '.join(known)})"
            )
        reasons.append("kernels set by CT2_FORCE_CPU_ISA")
    elif intel and "avx512f" in cpu.flags and {"avx512_vnni", "amx_int8"} & cpu.flags:
        kernels = "AVX512"
        env.append(("CT2_FORCE_CPU_ISA", kernels))
        reasons.append("AVX-512 with VNNI/AMX: measured 5-10% faster than AVX2")
    else:
        kernels = "AVX2" if "avx2" in cpu.flags else "AVX" if "avx" in cpu.flags else "GENERIC"
    use_mkl = environ.get("CT2_USE_MKL")
    warning = None
    if use_mkl:
        gemm = "Intel MKL" if use_mkl.strip().lower() in {"1", "true", "on", "yes"} else "oneDNN"
        reasons.append("GEMM set by CT2_USE_MKL")
        if gemm == "Intel MKL" and not intel:
            # MKL takes its slow generic path off Intel: one sentence through opus-mt-en-fr's
            # shape in int8 took 32.4 s with it against 0.82 s with oneDNN (AMD EPYC, AVX2;
            # 14-50x over the runs of benchmarks/scheduling.py).
            warning = (
                "CT2_USE_MKL=1 on a non-Intel CPU: Intel MKL runs its slow generic code here "
                "(measured 14-50x slower in int8); unset it to use oneDNN"
            )
    elif intel:
        gemm = "Intel MKL"
    elif {"avx", "sse2"} & cpu.flags:
        gemm = "oneDNN"
    else:  # Arm and others: CTranslate2's wheels there use Ruy, OpenBLAS or Apple Accelerate
        gemm = "CTranslate2's own GEMM"
    budget = _thread_budget(environ)
    cores = cpu.cores if budget is None else max(1, min(cpu.cores, budget))
    inter = max(1, min(cores, 4))
    if budget is not None:
        # OMP_NUM_THREADS is the user's word, or Ray's: it sets it to an actor's num_cpus, so
        # that N actors on N cores do not each lay out threads for the whole machine. The
        # threads stay within it.
        intra = max(1, cores // inter)
        reasons.append(f"threads within OMP_NUM_THREADS={budget}")
    elif cpu.vendor == "AuthenticAMD":
        # Measured with benchmarks/scheduling.py, 2 workers x 1 thread against 2 x 2, 2 vCPUs,
        # oneDNN: on AMD EPYC Zen 3 (family 25 model 1, AVX2), one sentence through
        # opus-mt-en-fr's shape 0.54 s against 1.20 s, 46 sentences 5.25 s against 6.21 s, nine
        # 900-token distilbart chunks 21.8 s against 23.0 s, one short article 2.49 s against
        # 2.52 s; on Zen 4 (family 25 model 17, AVX-512) 0.58x, 0.96x, 0.95x and 0.95x. The
        # cause is not established: oneDNN on the Sapphire Rapids Xeon ran one sentence on
        # 2 x 2 as fast as MKL. An AVX2 EPYC of unrecorded family measured the other way on
        # 2026-11-30 (one short article 3.73 s on 2 x 1 against 2.62 s). With more cores than
        # workers, the cores are shared out rounding up (6 cores: 4 workers x 2 threads), so
        # none idles when every worker is busy; only 2 vCPUs were measured.
        intra = max(1, -(-cores // inter))
        why = ", as a second thread measured slower on AMD EPYC" if intra == 1 else ""
    else:
        # Two threads per worker even where that makes more threads than cores: a job of one
        # batch (one article, one sentence) then runs on two cores instead of one, and when
        # every worker has a batch the threads share the cores. CTranslate2's OpenMP (libgomp)
        # stops spinning when it has more threads than cores. Measured on a Sapphire Rapids
        # Xeon (Intel MKL), 2 vCPUs, int8, 2 x 2 against 2 x 1: one short distilbart article
        # 1.25 s against 1.56 s, one sentence to French 0.52 s against 0.61 s, nine 900-token
        # chunks 14.1 s against 14.8 s (benchmarks/SCHEDULING.md).
        intra = max(min(2, cores), cores // inter)
        why = ", which a lone batch gets to itself" if inter > 1 and intra > 1 else ""
    if budget is None:
        reasons.append(
            f"batches side by side, {intra} thread{'s' if intra > 1 else ''} each{why}"
            ": benchmarks/SCHEDULING.md"
        )
    whole = lone_batch_covers(inter, intra, cores)
    return Plan(kernels, gemm, inter, intra, tuple(env), "; ".join(reasons), warning, whole)


def lone_batch_covers(inter: int, intra: int, cores: int) -> bool:
    """Return whether, with several workers, one batch's threads cover every core: then a
    small job runs as one batch (Plan.whole)."""
    return inter > 1 and intra >= cores


def _thread_budget(environ: Mapping[str, str]) -> int | None:
    """Return the thread count OMP_NUM_THREADS allows, or None when it is unset or not a count."""
    value = environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None
