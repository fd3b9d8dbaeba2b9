#!/usr/bin/env bash
# Compare NLU pipelines on the held-out set: Rasa's LogisticRegressionClassifier (counts, C=1),
# Opora's TF-IDF classifier as one combined model, and the same as one model per language.
# Prints training time and the evaluation table of each. Takes ~15 minutes on 2 cores.
# Run from the repository root after `make setup`:  bash benchmarks/nlu_pipelines.sh
set -euo pipefail
cd "$(dirname "$0")/../nlu"
out=$(mktemp -d /tmp/opora-pipelines.XXXX)
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONHASHSEED=0 PYTHONPATH=.
export RASA_CACHE_DIRECTORY="$out/cache"

rasa_lr="$out/rasa-lr.yml"
cat > "$rasa_lr" <<'YML'
recipe: default.v1
language: xx
assistant_id: bench-rasa-lr
pipeline:
  - name: WhitespaceTokenizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 4
  - name: LogisticRegressionClassifier
    max_iter: 200
    random_state: 2024
  - name: EntitySynonymMapper
policies: []
YML

train() {  # name config data-dir
    local start=$(date +%s)
    .venv/bin/rasa train nlu --config "$2" --nlu "$3" --out "$out" --fixed-model-name "$1" \
        > "$out/$1.log" 2>&1
    echo "$1: trained in $(( $(date +%s) - start )) s"
}

train rasa-lr "$rasa_lr" data
train combined config.yml data
start=$(date +%s)
for lang in en ru uk kk ky tg sr ro; do
    train "opora-$lang" config.yml "data/$lang" > /dev/null
done
echo "per-language: 8 models trained in $(( $(date +%s) - start )) s"

for name in rasa-lr combined; do
    echo; echo "== $name"
    .venv/bin/python evaluate.py --model "$out/$name.tar.gz" --json "$out/$name.json" 2>/dev/null
done
echo; echo "== per-language (each message parsed by its writer's language model)"
.venv/bin/python evaluate.py --per-language-dir "$out" --json "$out/per-language.json" 2>/dev/null
echo; echo "results: $out"
