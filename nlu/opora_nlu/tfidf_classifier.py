"""An intent classifier: TF-IDF word and character n-grams into a logistic regression.

Rasa's LogisticRegressionClassifier fixes C=1 and sees raw counts; on Opora's held-out set,
sublinear TF-IDF with C=10 was clearly better in every language (docs/benchmarks.md). It learns
its own features from the text, so it needs no featurizer before it.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from opora_nlu.e5_featurizer import sentence_vectors

logger = logging.getLogger(__name__)
MODEL_FILE = "tfidf_classifier.joblib"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    """Sublinear TF-IDF (words + char_wb n-grams) and a balanced logistic regression."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 10.0,
            "char_min_ngram": 2,
            "char_max_ngram": 5,
            "max_iter": 300,
            "random_state": 2024,
            "ranking_length": 10,
            # Weight of dense sentence features from a featurizer before this component
            # (E5SentenceFeaturizer); 0 ignores them.
            "dense_weight": 1.0,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    def _vectorizers(self) -> List[TfidfVectorizer]:
        return [
            TfidfVectorizer(lowercase=True, sublinear_tf=True),
            TfidfVectorizer(
                lowercase=True,
                sublinear_tf=True,
                analyzer="char_wb",
                ngram_range=(self.config["char_min_ngram"], self.config["char_max_ngram"]),
            ),
        ]

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        texts = [m.get(TEXT) for m in examples]
        labels = [m.get(INTENT) for m in examples]
        vectorizers = self._vectorizers()
        parts = [v.fit_transform(texts) for v in vectorizers]
        dense = self._dense(examples)
        features = hstack(parts + ([dense] if dense is not None else [])).tocsr()
        classifier = LogisticRegression(
            C=self.config["C"],
            class_weight="balanced",
            max_iter=self.config["max_iter"],
            random_state=self.config["random_state"],
        )
        classifier.fit(features, labels)
        self.model = {
            "vectorizers": vectorizers,
            "classifier": classifier,
            "uses_dense": dense is not None,
        }
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except ValueError:
            logger.warning("TfidfIntentClassifier has no trained model; it will predict nothing")
            model = None
        return cls(config, model_storage, resource, model)

    def _dense(self, messages: List[Message]) -> Optional[csr_matrix]:
        if not self.config["dense_weight"]:
            return None
        vectors = sentence_vectors(messages)
        return None if vectors is None else csr_matrix(vectors * self.config["dense_weight"])

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        parts = [v.transform(texts) for v in self.model["vectorizers"]]
        if self.model.get("uses_dense"):
            dense = self._dense(messages)
            if dense is None:
                raise ValueError("this model was trained with dense features; none were given")
            parts.append(dense)
        features = hstack(parts).tocsr()
        classifier = self.model["classifier"]
        probabilities = classifier.predict_proba(features)
        names = classifier.classes_
        for message, row in zip(messages, probabilities):
            order = np.argsort(row)[::-1][: self.config["ranking_length"]]
            ranking = [{"name": str(names[i]), "confidence": float(row[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
