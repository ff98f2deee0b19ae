#!/usr/bin/env bash
# Build .whl/wheels.tar.xz (git-ignored): the wheels that hsiadapt needs on the device machine and
# that its image lacks, for benchmarks/gpu_session.sh, which unpacks them and installs them with
# pip --no-index into /tmp/site (that machine has no network).
#
# Which: CPython 3.12, manylinux x86_64, no dependencies resolved; versions are requirements.lock's.
# The image already holds torch, lightning, timm, huggingface-hub, numpy, scipy, pandas, xarray,
# scikit-learn, scikit-image, matplotlib, h5py, opencv, ... (/work/.library/device/KINDS.md).
# The list is what importing every hsiadapt module, terratorch's registry, TerraMind backbone,
# FCN decoder and segmentation head, kornia.augmentation, torchgeo.models, pyrsr, earthlib and
# submitit puts in sys.modules beyond the image, mapped to distributions. terratorch's __init__
# imports terratorch.datasets, which imports torchgeo.datasets (geopandas, pyproj, shapely),
# albumentations (albucore, simsimd, stringzilla, pydantic), rioxarray, rasterio, pycocotools and,
# through torchgeo.trainers, lightly (aenum); the TerraMind tokenizer imports diffusers; kornia
# imports kornia_rs; terratorch.models imports box (python-box). Left out on purpose:
# httpx2/httpcore2/truststore (only huggingface_hub 2.x imports them; the image's 1.x uses httpx)
# and dependencies nothing imports (pyogrio, hydra-core, lightly_utils, cligj, click-plugins).
#
# Why a tar.xz: the wheels as published weigh ~74 MiB, more than the device call's 64 MiB for the
# working tree and carry together (rasterio alone is 34 MiB: GDAL, PROJ, HDF5, OpenSSL). Re-zipped
# uncompressed (same files, same RECORD hashes) and packed into one solid xz stream they take
# ~45 MiB: xz beats deflate on shared libraries and stores the PROJ database that rasterio and
# pyproj each bundle once.
#
# Run here, in the checkout that the device tool sends: bash scripts/device_wheels.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
MAX_MIB=${MAX_MIB:-50}
stage=${WHEEL_STAGE:-/tmp/hsiadapt-device-wheels}  # outside the tree: only the tar.xz travels
pkgs=(
  terratorch==1.2.11 torchgeo==0.8.1 kornia==0.9.0 kornia_rs==0.2.0
  rasterio==1.4.4 affine==3.0.1 rioxarray==0.19.0 geopandas==1.2.0 pyproj==3.7.2 shapely==2.2.0
  pyrsr==0.8.0 earthlib==1.1.0 spectral==0.25 loguru==0.7.3 submitit==1.5.4
  albumentations==2.0.8 albucore==0.0.24 simsimd==6.5.16 stringzilla==5.3.2
  pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
  lightly==1.5.22 aenum==3.1.17 diffusers==0.42.1 segmentation_models_pytorch==0.6.0
  pycocotools==2.0.11
  typing_extensions==4.16.0  # on the image too, maybe older than pydantic's >=4.16.0
)
# python-box publishes a pure-Python wheel beside 6 MiB Cython builds of the same code
pure=(python-box==8.0.0)
excl="$(git rev-parse --git-common-dir)/info/exclude"
mkdir -p "$(dirname "$excl")"
grep -qxF '/.whl/' "$excl" 2>/dev/null || echo '/.whl/' >> "$excl"
rm -rf "$stage" && mkdir -p "$stage/whl" "$stage/stored"  # one version of each: two stop pip
plat=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux1_x86_64; do plat+=(--platform "$p"); done
for spec in "${pkgs[@]}"; do
  if ! "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
       --implementation cp "${plat[@]}" -d "$stage/whl" "$spec" 2>/dev/null; then
    # no wheel at all (pyrsr, spectral): build one from the sdist; fine for pure Python only
    echo "[device_wheels] $spec: no wheel published, building one from the sdist" >&2
    "$PY" -m pip wheel -q --no-deps --no-binary=:all: -w "$stage/whl" "$spec" 2>/dev/null
  fi
done
for spec in "${pure[@]}"; do
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation py --abi none --platform any -d "$stage/whl" "$spec" 2>/dev/null
done
want=$(( ${#pkgs[@]} + ${#pure[@]} ))
n=$(ls "$stage"/whl/*.whl | wc -l)
[ "$n" -eq "$want" ] || { echo "[device_wheels] $n wheels, expected $want" >&2; exit 1; }
bad=0
for w in "$stage"/whl/*.whl; do  # each must install on CPython 3.12 x86_64 Linux
  tag=$(basename "$w" .whl); tag=${tag#*-*-}   # python-abi-platform, after name and version
  case "$tag" in
    py3-none-any|py2.py3-none-any|cp312-cp312-*manylinux*x86_64*|cp3*-abi3-*manylinux*x86_64*) ;;
    *) echo "[device_wheels] not for cp312 manylinux x86_64: $w" >&2; bad=1 ;;
  esac
done
[ "$bad" -eq 0 ] || exit 1
"$PY" - "$stage/whl" "$stage/stored" <<'EOF'
import pathlib, sys, zipfile
src, dst = map(pathlib.Path, sys.argv[1:])
for w in sorted(src.glob("*.whl")):
    with zipfile.ZipFile(w) as zi, zipfile.ZipFile(dst / w.name, "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            data = zi.read(info)  # before the method changes: read() decodes by it
            info.compress_type = zipfile.ZIP_STORED
            zo.writestr(info, data)
EOF
mkdir -p .whl && rm -f .whl/*
ls -s --block-size=K "$stage"/whl/*.whl | sort -n -r | sed "s|$stage/whl/||"
echo "[device_wheels] packing $n wheels into .whl/wheels.tar.xz (xz -9e, one thread: ~2 min)" >&2
tar -C "$stage/stored" --sort=name --owner=0 --group=0 --mtime=@0 -cf - . \
  | nice xz -T1 --x86 --lzma2=preset=9e > .whl/wheels.tar.xz  # x86 filter: -3 %
kib=$(du -k -c "$stage"/whl/*.whl | tail -1 | cut -f1)
xkib=$(du -k .whl/wheels.tar.xz | cut -f1)
echo "[device_wheels] $n wheels: $((kib / 1024)) MiB as published, $((xkib / 1024)) MiB in .whl/wheels.tar.xz (limit ${MAX_MIB} MiB)"
[ "$xkib" -le $((MAX_MIB * 1024)) ] || { echo "[device_wheels] over ${MAX_MIB} MiB" >&2; exit 1; }
